"""Parses libscope's public headers: SCOPE_API function declarations,
callback typedefs, options structs and enums, with C type spellings
normalised ("const char*const *" -> "const char *const *"). Used by the
agreement test and by bindgen.py."""
import glob
import os
import re


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
                if not decl:
                    continue
                first, *more = [d.strip() for d in decl.split(",")]
                mm = re.match(r"^(.*?[\s*])([A-Za-z_]\w*)$", first)
                fields.append((norm(mm.group(1)), mm.group(2)))
                base = norm(mm.group(1)).rstrip(" *")  # "int64_t a, b" declares int64_t b
                for d in more:
                    stars = len(d) - len(d.lstrip("*"))
                    fields.append((norm(base + " " + "*" * stars), d.lstrip("* ")))
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
