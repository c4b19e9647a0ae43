"""The binding table (scope/_bind), the headers (SCOPE_API declarations,
callback typedefs, options structs, enums), the export lists
(lib/*/exports.txt) and the library's dynamic symbols must agree."""
import glob
import os
import re
import shutil
import subprocess
import unittest

from _util import SOURCE_DIR

import scope
from scope import _lib


def norm(t):
    """Normalises the spelling of a C type: "const char*const *" ->
    "const char *const *"."""
    t = re.sub(r"\s+", " ", t.strip())
    t = re.sub(r"\s*\*\s*", "*", t)
    t = re.sub(r"(?<=\w)\*", " *", t)
    return t


def strip_name(param):
    """"const scope_series_set *set" -> "const scope_series_set *"."""
    p = param.strip()
    m = re.match(r"^(.*?[\s*])([A-Za-z_]\w*)$", p)
    if m and m.group(1).strip() not in ("const", "struct", "unsigned", "signed"):
        p = m.group(1)
    return norm(p)


def params(text):
    text = text.strip()
    if text in ("", "void"):
        return ()
    return tuple(strip_name(p) for p in text.split(","))


def parse_headers(include_dir):
    """Returns (functions, callbacks, structs, enums) declared by the public
    headers: functions {name: (ret, (args...))}, callbacks likewise,
    structs {name: ((type, field), ...)}, enums {name: {const: value}}."""
    functions, callbacks, structs, enums = {}, {}, {}, {}
    for path in sorted(glob.glob(os.path.join(include_dir, "scope", "*.h"))):
        with open(path) as f:
            src = f.read()
        src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
        src = re.sub(r"//[^\n]*", " ", src)
        src = re.sub(r"^\s*#[^\n]*(\\\n[^\n]*)*", " ", src, flags=re.M)
        for m in re.finditer(r"\bSCOPE_API\s+([^;(]*?)\b(scope_\w+)\s*\(([^)]*)\)\s*;", src):
            functions[m.group(2)] = (norm(m.group(1)), params(m.group(3)), os.path.basename(path))
        for m in re.finditer(r"typedef\s+([^;(]*?)\(\s*\*\s*(scope_\w+)\s*\)\s*\(([^)]*)\)\s*;",
                             src):
            callbacks[m.group(2)] = (norm(m.group(1)), params(m.group(3)))
        for m in re.finditer(r"typedef\s+struct\s+(scope_\w+)\s*\{([^}]*)\}\s*(\w+)\s*;", src):
            fields = []
            for decl in m.group(2).split(";"):
                decl = decl.strip()
                if decl:
                    mm = re.match(r"^(.*?[\s*])([A-Za-z_]\w*)$", decl)
                    fields.append((norm(mm.group(1)), mm.group(2)))
            structs[m.group(1)] = tuple(fields)
        for m in re.finditer(r"\benum\s+(scope_\w+)\s*\{([^}]*)\}\s*;", src):
            values = {}
            for item in m.group(2).split(","):
                item = item.strip()
                if item:
                    k, _, v = item.partition("=")
                    values[k.strip()] = int(v.strip(), 0)
            enums[m.group(1)] = values
    return functions, callbacks, structs, enums


def parse_exports(lib_dir):
    syms = {}
    for path in sorted(glob.glob(os.path.join(lib_dir, "*", "exports.txt"))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    syms[line.split()[0]] = os.path.relpath(path, lib_dir)
    return syms


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
            t = _lib.struct_type(name)
            o = t()
            init = getattr(_lib.lib, name.replace("_opts", "_opts_init"))
            self.assertEqual(init(ctypes.byref(o), ctypes.sizeof(t)), 0)
            self.assertEqual(o.size, ctypes.sizeof(t))

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
