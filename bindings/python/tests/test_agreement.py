"""The binding table (scope/_bind), the headers (SCOPE_API declarations,
callback typedefs, options structs, enums), the export lists
(lib/*/exports.txt) and the library's dynamic symbols must agree."""
import glob
import os
import shutil
import subprocess
import sys
import unittest

from _util import HERE, SOURCE_DIR

sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
from cheader import norm, parse_exports, parse_headers  # noqa: E402

import scope
from scope import _lib


def compare(headers, exports, tables):
    """Every disagreement, as a list of readable lines (empty: all agree)."""
    functions, callbacks, structs, enums = headers
    problems = []
    h, e, b = set(functions), set(exports), set(tables.functions)
    for s in sorted(e - b):
        problems.append("%s is exported (%s) but not bound: add it to scope/_bind/"
                        % (s, exports[s]))
    for s in sorted(b - e):
        problems.append("%s is bound but not exported by any lib/*/exports.txt" % s)
    for s in sorted(h - e):
        problems.append("%s is declared SCOPE_API in %s but not exported" % (s, functions[s][2]))
    for s in sorted(e - h):
        problems.append("%s is exported but declared in no public header" % s)
    for s in sorted(h & b):
        ret, args, hdr = functions[s]
        bret, bargs = tables.functions[s]
        bret, bargs = norm(bret), tuple(norm(a) for a in bargs)
        if (ret, args) != (bret, bargs):
            problems.append("%s: header %s says %s(%s), binding table says %s(%s)"
                            % (s, hdr, ret, ", ".join(args), bret, ", ".join(bargs)))
    for name, (ret, args) in sorted(callbacks.items()):
        if name not in tables.callbacks:
            problems.append("callback typedef %s is not in the binding table" % name)
            continue
        bret, bargs = tables.callbacks[name]
        if (ret, args) != (norm(bret), tuple(norm(a) for a in bargs)):
            problems.append("callback %s: header %s(%s), binding table %s(%s)"
                            % (name, ret, ", ".join(args), bret, ", ".join(bargs)))
    for name in sorted(set(tables.callbacks) - set(callbacks)):
        problems.append("callback %s is bound but no header declares it" % name)
    for name, fields in sorted(structs.items()):
        bound = tables.structs.get(name)
        if bound is None:
            problems.append("struct %s is not in the binding table" % name)
        elif tuple((norm(t), f) for t, f in bound) != fields:
            problems.append("struct %s: header fields %s, binding table %s"
                            % (name, fields, bound))
    for name in sorted(set(tables.structs) - set(structs)):
        problems.append("struct %s is bound but no header declares it" % name)
    for name, values in sorted(enums.items()):
        if tables.enums.get(name) != values:
            problems.append("enum %s: header %s, binding table %s"
                            % (name, values, tables.enums.get(name)))
    for name in sorted(set(tables.enums) - set(enums)):
        problems.append("enum %s is bound but no header declares it" % name)
    return problems


class Agreement(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.headers = parse_headers(os.path.join(SOURCE_DIR, "include"))
        cls.exports = parse_exports(os.path.join(SOURCE_DIR, "lib"))

    def test_parsers_found_the_api(self):
        functions, callbacks, structs, enums = self.headers
        self.assertIn("scope_series_set_add", functions)
        self.assertEqual(functions["scope_series_set_add"][1][3], "const char *const *")
        self.assertIn("scope_recorder_cb", callbacks)
        self.assertIn("scope_recorder_opts", structs)
        self.assertEqual(enums["scope_error_code"]["SCOPE_EINTERNAL"], -19)
        self.assertIn("scope_version", self.exports)

    def test_table_headers_exports_agree(self):
        problems = compare(self.headers, self.exports, _lib.TABLES)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_checker_catches_disagreement(self):
        # An exported symbol missing from the table, a bound symbol nobody
        # exports, and a wrong argument type must all be reported.
        tables = _lib.Tables()
        del tables.functions["scope_series_reserve"]
        tables.functions["scope_not_a_thing"] = ("int", ())
        tables.functions["scope_series_append"] = ("int", ("scope_series *", "int64_t", "float"))
        problems = "\n".join(compare(self.headers, self.exports, tables))
        self.assertIn("scope_series_reserve is exported", problems)
        self.assertIn("scope_not_a_thing is bound but not exported", problems)
        self.assertIn("scope_series_append: header", problems)
        exports = dict(self.exports, scope_extra_symbol="lib/x/exports.txt")
        self.assertIn("scope_extra_symbol is exported (lib/x/exports.txt) but not bound",
                      "\n".join(compare(self.headers, exports, _lib.TABLES)))

    def test_every_table_function_is_bound_with_its_types(self):
        for name, (ret, args) in _lib.TABLES.functions.items():
            f = getattr(_lib.lib, name)
            self.assertEqual(f.restype, _lib.ctype(ret), name)
            self.assertEqual(list(f.argtypes), [_lib.ctype(a) for a in args], name)

    def test_opts_init_accepts_every_bound_struct(self):
        # Every options struct has its _opts_init, which records the size.
        import ctypes
        for name in _lib.TABLES.structs:
            if not name.endswith("_opts"):
                continue  # result structs (scope_load_stats) are filled by their getter
            t = _lib.struct_type(name)
            o = t()
            init = getattr(_lib.lib, name.replace("_opts", "_opts_init"))
            self.assertEqual(init(ctypes.byref(o), ctypes.sizeof(t)), 0)
            self.assertEqual(o.size, ctypes.sizeof(t))

    def test_bindgen_reproduces_the_table(self):
        # tools/bindgen.py writes an area's table from its header; run on
        # every header, it must give the hand-reviewed table back.
        funcs, flags, structs, callbacks, enums = {}, {}, {}, {}, {}
        tool = os.path.join(os.path.dirname(HERE), "tools", "bindgen.py")
        for h in sorted(glob.glob(os.path.join(SOURCE_DIR, "include", "scope", "*.h"))):
            out = subprocess.run([sys.executable, tool, h], check=True, capture_output=True,
                                 text=True)
            self.assertEqual(out.stderr, "", h)
            ns = {}
            exec(out.stdout, ns)
            for entry in ns["FUNCTIONS"]:
                funcs[entry[0]] = (entry[1], tuple(entry[2]))
                flags[entry[0]] = entry[3] if len(entry) > 3 else ""
            structs.update(ns["STRUCTS"])
            callbacks.update(ns["CALLBACKS"])
            enums.update(ns["ENUMS"])
        self.assertEqual(funcs, _lib.TABLES.functions)
        self.assertEqual(structs, _lib.TABLES.structs)
        self.assertEqual(callbacks, _lib.TABLES.callbacks)
        self.assertEqual(enums, _lib.TABLES.enums)
        for name in ("scope_version_number", "scope_error_code", "scope_error_errno"):
            self.assertEqual(flags[name], "nocheck", name)

    @unittest.skipUnless(shutil.which("nm"), "nm (binutils) not installed")
    def test_dynamic_symbols_match_table(self):
        path = scope.library_path
        if not os.path.isabs(path):
            self.skipTest("library loaded by soname; set SCOPE_LIBRARY to check its symbols")
        out = subprocess.run(["nm", "-D", "--defined-only", path], check=True,
                             capture_output=True, text=True).stdout
        syms = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
        syms = {s for s in syms if s.startswith("scope_")}
        self.assertEqual(sorted(syms - set(_lib.TABLES.functions)), [],
                         "exported by %s but not bound" % path)
        self.assertEqual(sorted(set(_lib.TABLES.functions) - syms), [],
                         "bound but not exported by %s" % path)


if __name__ == "__main__":
    unittest.main()
