"""C stdio streams for the functions that write to or read from a FILE *."""

import contextlib
import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fopen.restype = ctypes.c_void_p
_libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_libc.fclose.restype = ctypes.c_int
_libc.fclose.argtypes = [ctypes.c_void_p]
_libc.open_memstream.restype = ctypes.c_void_p
_libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
_libc.free.restype = None
_libc.free.argtypes = [ctypes.c_void_p]


@contextlib.contextmanager
def cfile(path, mode):
    """A FILE * for @path opened with @mode ("r", "w"); closed on exit.
    Raises OSError when it cannot be opened or flushed."""
    f = _libc.fopen(os.fsencode(path), mode.encode())
    if not f:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), str(path))
    ok = False
    try:
        yield f
        ok = True
    finally:
        rc = _libc.fclose(f)
        if rc != 0 and ok:
            e = ctypes.get_errno()
            raise OSError(e, "fclose: " + os.strerror(e), str(path))


@contextlib.contextmanager
def memfile(out):
    """A FILE * writing to memory; on exit the text is appended to the list
    @out as a str."""
    buf, size = ctypes.c_void_p(), ctypes.c_size_t()
    f = _libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not f:
        raise MemoryError("open_memstream failed")
    try:
        yield f
    finally:
        _libc.fclose(f)
        if buf.value:
            out.append(ctypes.string_at(buf.value, size.value).decode("utf-8", "replace"))
            _libc.free(buf.value)
