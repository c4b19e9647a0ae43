"""Exceptions raised by libscope calls.

Every failing C call returns a negative ``SCOPE_E*`` code and records, for
the calling thread, a message that names the cause and the fix. The bindings
turn that into an exception of the class registered for the code; all of them
derive from :class:`ScopeError`, which carries ``code`` (the negative
integer), ``name`` (``"SCOPE_EINVAL"``), ``errno`` (of the system call behind
the failure, 0 when none) and ``message`` (the library's text).
"""

__all__ = [
    "ScopeError", "InvalidArgument", "OutOfMemory", "NotFound", "PermissionDenied",
    "ScopeIOError", "BufferTooSmall", "NotSupported", "StateError", "CallbackError",
    "ParseError", "NetworkError", "HTTPError", "Timeout", "Gone", "NoDevice",
    "LimitExceeded", "AlreadyExists", "ServerError", "InternalError", "error_class",
]


class ScopeError(Exception):
    """Base class of every libscope error.

    Attributes:
        code: the negative ``SCOPE_E*`` code returned by the C function.
        name: the code's identifier, e.g. ``"SCOPE_EINVAL"``.
        errno: the errno of the failed system call, or 0.
        message: the library's message (cause and fix).
    """

    code = None
    name = "SCOPE_EUNKNOWN"

    def __init__(self, message, code=None, errno=0, name=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if name is not None:
            self.name = name
        self.errno = errno

    def __str__(self):
        return "%s (%s)" % (self.message, self.name) if self.message else self.name


class InvalidArgument(ScopeError, ValueError):
    """SCOPE_EINVAL: an argument or option is invalid."""
    code, name = -1, "SCOPE_EINVAL"


class OutOfMemory(ScopeError, MemoryError):
    """SCOPE_ENOMEM: memory allocation failed."""
    code, name = -2, "SCOPE_ENOMEM"


class NotFound(ScopeError, LookupError):
    """SCOPE_ENOENT: no such object (file, series, event, cgroup, process)."""
    code, name = -3, "SCOPE_ENOENT"


class PermissionDenied(ScopeError):
    """SCOPE_EPERM: not permitted (privileges, perf_event_paranoid)."""
    code, name = -4, "SCOPE_EPERM"


class ScopeIOError(ScopeError):
    """SCOPE_EIO: an I/O error reading or writing a file or pipe."""
    code, name = -5, "SCOPE_EIO"


class BufferTooSmall(ScopeError):
    """SCOPE_ENOSPC: a caller-provided buffer is too small."""
    code, name = -6, "SCOPE_ENOSPC"


class NotSupported(ScopeError):
    """SCOPE_ENOTSUP: not supported on this machine or kernel."""
    code, name = -7, "SCOPE_ENOTSUP"


class StateError(ScopeError):
    """SCOPE_ESTATE: the handle is in the wrong state for this call."""
    code, name = -8, "SCOPE_ESTATE"


class CallbackError(ScopeError):
    """SCOPE_EUSER: a user callback returned non-zero."""
    code, name = -9, "SCOPE_EUSER"


class ParseError(ScopeError):
    """SCOPE_EPARSE: malformed input (file content, JSON, HTTP, CSV)."""
    code, name = -10, "SCOPE_EPARSE"


class NetworkError(ScopeError):
    """SCOPE_ENET: a network error (connect, send, receive, DNS)."""
    code, name = -11, "SCOPE_ENET"


class HTTPError(ScopeError):
    """SCOPE_EHTTP: an HTTP error status from a server."""
    code, name = -12, "SCOPE_EHTTP"


class Timeout(ScopeError):
    """SCOPE_ETIMEDOUT: an operation ran past its time limit."""
    code, name = -13, "SCOPE_ETIMEDOUT"


class Gone(ScopeError):
    """SCOPE_EGONE: the observed target (process, cgroup) vanished."""
    code, name = -14, "SCOPE_EGONE"


class NoDevice(ScopeError):
    """SCOPE_ENODEV: no such device or PMU on this machine."""
    code, name = -15, "SCOPE_ENODEV"


class LimitExceeded(ScopeError):
    """SCOPE_ELIMIT: a resource limit was hit (file descriptors, counters)."""
    code, name = -16, "SCOPE_ELIMIT"


class AlreadyExists(ScopeError):
    """SCOPE_EEXIST: the object exists already."""
    code, name = -17, "SCOPE_EEXIST"


class ServerError(ScopeError):
    """SCOPE_ESERVER: a server answered with an API-level error."""
    code, name = -18, "SCOPE_ESERVER"


class InternalError(ScopeError):
    """SCOPE_EINTERNAL: a bug in libscope; please report it."""
    code, name = -19, "SCOPE_EINTERNAL"


_BY_CODE = {cls.code: cls for cls in (
    InvalidArgument, OutOfMemory, NotFound, PermissionDenied, ScopeIOError, BufferTooSmall,
    NotSupported, StateError, CallbackError, ParseError, NetworkError, HTTPError, Timeout,
    Gone, NoDevice, LimitExceeded, AlreadyExists, ServerError, InternalError)}


def error_class(code):
    """The exception class for a ``SCOPE_E*`` code (:class:`ScopeError` for
    codes this version of the bindings does not know)."""
    return _BY_CODE.get(code, ScopeError)
