"""Loads libscope and applies the binding table (scope/_bind/*).

Library search, first match wins:
  1. $SCOPE_LIBRARY: a path (or soname); when set, nothing else is tried.
  2. the library path recorded when the package was installed by
     ``cmake --install`` (scope/_install.py), when that file exists: the
     package and the library installed with it come from one build, so a
     different libscope.so.0 elsewhere on the loader's path (an older
     install under /usr/local, say) cannot shadow it; it also works before
     ``ldconfig`` has run.
  3. the soname "libscope.so.0" through the dynamic loader (ld.so.cache,
     LD_LIBRARY_PATH, RUNPATH).
  4. $SCOPE_BUILD_DIR/libscope.so.0, for running from a build tree.
"""

import ctypes
import importlib
import os

from . import errors
from ._bind import AREAS

SONAME = "libscope.so.0"
#: Oldest library release these bindings work with, and the major version
#: (the soname) they were written for.
REQUIRED = (0, 1, 0)


def _version_number(major, minor, patch):
    return major * 10000 + minor * 100 + patch


def _candidates():
    env = os.environ.get("SCOPE_LIBRARY")
    if env:
        return [env]
    found = []
    try:
        from . import _install  # written by cmake --install
        lib_path = getattr(_install, "LIBRARY", None)
        if lib_path and os.path.exists(lib_path):
            found.append(lib_path)
    except ImportError:
        pass
    found.append(SONAME)
    build = os.environ.get("SCOPE_BUILD_DIR")
    if build:
        found.append(os.path.join(build, SONAME))
    return found


def _open():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s: %s" % (path, e))
    raise ImportError(
        "scope: cannot load libscope (%s). Install the library (cmake --install build) and "
        "run ldconfig, or point SCOPE_LIBRARY at libscope.so.0 (or SCOPE_BUILD_DIR at a build "
        "directory)." % "; ".join(tried))


_C_SCALARS = {
    "void": None,
    "int": ctypes.c_int,
    "int32_t": ctypes.c_int32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "uint32_t": ctypes.c_uint32,
    "size_t": ctypes.c_size_t,
    "double": ctypes.c_double,
}


class Tables:
    """Everything the area modules declare, merged."""

    def __init__(self):
        self.modules = [importlib.import_module("._bind." + a, __package__) for a in AREAS]
        self.functions = {}
        self.flags = {}
        self.since = {}
        self.handles = set()
        self.structs = {}
        self.callbacks = {}
        self.enums = {}
        for m in self.modules:
            since = tuple(int(x) for x in getattr(m, "SINCE", "0.1").split("."))
            self.handles.update(m.HANDLES)
            self.enums.update(m.ENUMS)
            self.callbacks.update(m.CALLBACKS)
            for name, fields in m.STRUCTS.items():
                self.structs[name] = fields
            for entry in m.FUNCTIONS:
                name, restype, argtypes = entry[:3]
                if name in self.functions:
                    raise ImportError("scope: %s is bound twice" % name)
                self.functions[name] = (restype, tuple(argtypes))
                self.flags[name] = entry[3] if len(entry) > 3 else ""
                self.since[name] = since


TABLES = Tables()
_struct_types = {}
_callback_types = {}


def struct_type(name):
    """The ctypes.Structure for the C struct @name (e.g. "scope_recorder_opts")."""
    t = _struct_types.get(name)
    if t is None:
        fields = [(fname, ctype(ftype)) for ftype, fname in TABLES.structs[name]]
        t = type(name, (ctypes.Structure,), {"_fields_": fields})
        _struct_types[name] = t
    return t


def callback_type(name):
    """The CFUNCTYPE for the C callback typedef @name."""
    t = _callback_types.get(name)
    if t is None:
        restype, args = TABLES.callbacks[name]
        t = ctypes.CFUNCTYPE(ctype(restype), *[ctype(a) for a in args])
        _callback_types[name] = t
    return t


def ctype(spelling):
    """Maps a C type as spelled in a header to its ctypes type."""
    t = " ".join(spelling.split())
    if t in _C_SCALARS:
        return _C_SCALARS[t]
    if t == "const char *":
        return ctypes.c_char_p
    if t == "char *":  # a caller's buffer, or an owned string to free: keep the address
        return ctypes.c_void_p
    if t in ("const char *const *", "const char **"):
        return ctypes.POINTER(ctypes.c_char_p)
    if t in ("char **", "void **"):
        return ctypes.POINTER(ctypes.c_void_p)
    if t in ("void *", "const void *", "FILE *"):
        return ctypes.c_void_p
    if t in TABLES.callbacks:
        return callback_type(t)
    const = t.startswith("const ")
    rest = t[len("const "):] if const else t
    nstars = rest.count("*")
    base = rest.replace("*", "").strip()
    if base in TABLES.handles and nstars in (1, 2):
        return ctypes.c_void_p if nstars == 1 else ctypes.POINTER(ctypes.c_void_p)
    if base in TABLES.structs and nstars == 1:
        return ctypes.POINTER(struct_type(base))
    if base in _C_SCALARS and base != "void" and nstars == 1:
        if const:
            return ctypes.c_void_p  # input arrays: numpy/ctypes addresses
        return ctypes.POINTER(_C_SCALARS[base])
    if base in _C_SCALARS and base != "void" and nstars == 2:
        return ctypes.POINTER(ctypes.c_void_p)  # out: a borrowed or owned array
    raise TypeError("scope: no ctypes mapping for C type %r" % spelling)


def _text(b):
    return b.decode("utf-8", "replace") if b is not None else None


def raise_last(code):
    """Raises the exception for @code with the calling thread's last error."""
    msg = _text(lib.scope_error_message()) or _text(lib.scope_strerror(code))
    err = lib.scope_error_errno()
    cls = errors.error_class(code)
    raise cls(msg, code=code, errno=err, name=_text(lib.scope_error_name(code)))


def _check(result, func, args):
    if result < 0:
        raise_last(result)
    return result


def _bind(cdll, version_number):
    missing = []
    bound = set()
    for name, (restype, argtypes) in TABLES.functions.items():
        if _version_number(*TABLES.since[name], 0) > version_number:
            continue  # the library predates this area: callers check has()
        try:
            f = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        f.restype = ctype(restype)
        f.argtypes = [ctype(a) for a in argtypes]
        if restype == "int" and "nocheck" not in TABLES.flags[name]:
            f.errcheck = _check
        bound.add(name)
    return missing, bound


lib, path = _open()

# The version check needs the two version functions before anything else.
lib.scope_version.restype = ctypes.c_char_p
lib.scope_version.argtypes = []
lib.scope_version_number.restype = ctypes.c_int
lib.scope_version_number.argtypes = []
VERSION = _text(lib.scope_version())
VERSION_NUMBER = lib.scope_version_number()
if not (_version_number(*REQUIRED) <= VERSION_NUMBER < _version_number(REQUIRED[0] + 1, 0, 0)):
    raise ImportError(
        "scope: %s is libscope %s, but these bindings need %d.%d.%d or later within major "
        "version %d: install a matching library or point SCOPE_LIBRARY at one"
        % (path, VERSION, REQUIRED[0], REQUIRED[1], REQUIRED[2], REQUIRED[0]))

_missing, BOUND = _bind(lib, VERSION_NUMBER)
if _missing:
    raise ImportError(
        "scope: %s (libscope %s) lacks %s, which its version should export: the library and "
        "the bindings come from different builds; reinstall both"
        % (path, VERSION, ", ".join(sorted(_missing))))


def has(name):
    """True when the loaded library provides (and the bindings bound) @name."""
    return name in BOUND


def text(b):
    """bytes from C (or None) to str (or None)."""
    return _text(b)


def cstr(s, what="string"):
    """str (or None) to bytes for C; rejects embedded NULs."""
    if s is None:
        return None
    if isinstance(s, bytes):
        b = s
    else:
        b = str(s).encode("utf-8")
    if b"\0" in b:
        raise errors.InvalidArgument("%s %r contains a NUL character" % (what, s),
                                     code=-1, name="SCOPE_EINVAL")
    return b


def opts(name, **fields):
    """A size-tagged options struct with the given fields set."""
    t = struct_type(name)
    o = t()
    o.size = ctypes.sizeof(t)
    for k, v in fields.items():
        setattr(o, k, v)
    return o
