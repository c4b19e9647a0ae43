"""Common machinery: owned C handles, optional numpy, time conversion."""

import datetime

from . import errors

try:
    import numpy as np
except ImportError:  # without numpy, columns are plain lists
    np = None


def pandas():
    """Imports pandas or raises ImportError naming what to install."""
    if np is None:
        raise ImportError("to_pandas() needs numpy and pandas (Debian: apt-get install "
                          "python3-pandas; pip: pip install pandas)")
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_pandas() needs pandas (Debian: apt-get install python3-pandas; "
                          "pip: pip install pandas)") from None
    return pd


def state_error(message):
    return errors.StateError(message, code=-8, name="SCOPE_ESTATE")


def invalid(message):
    return errors.InvalidArgument(message, code=-1, name="SCOPE_EINVAL")


class Handle:
    """An owned C handle: freed by close(), by leaving a ``with`` block, or
    when the object is garbage collected, whichever comes first."""

    _ptr = None

    def _release(self, ptr):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    @property
    def closed(self):
        """True once close() ran."""
        return self._ptr is None

    def _p(self):
        p = self._ptr
        if p is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return p

    def close(self):
        """Frees the C object now. Closing twice is harmless."""
        p, self._ptr = self._ptr, None
        if p is not None:
            self._release(p)

    def __enter__(self):
        """Returns the handle itself."""
        return self

    def __exit__(self, *exc):
        """Closes the handle."""
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def to_ns(t, what="time"):
    """Wall-clock time as int ns since the epoch. Accepts int ns, a
    datetime (naive means UTC), numpy.datetime64 and pandas.Timestamp."""
    if isinstance(t, bool):
        raise invalid("%s: expected ns since the epoch or a datetime, got a bool" % what)
    if isinstance(t, int):
        return t
    value = getattr(t, "value", None)  # pandas.Timestamp
    if isinstance(value, int) and hasattr(t, "tz_localize"):
        return value
    if np is not None and isinstance(t, np.datetime64):
        return int(t.astype("datetime64[ns]").astype("int64"))
    if np is not None and isinstance(t, np.integer):
        return int(t)
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        d = t - _EPOCH
        return (d.days * 86400 + d.seconds) * 1000000000 + d.microseconds * 1000
    raise invalid("%s: expected ns since the epoch (int), a datetime, numpy.datetime64 or "
                  "pandas.Timestamp, got %r" % (what, type(t).__name__))
