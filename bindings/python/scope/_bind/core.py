"""include/scope/version.h, error.h, clock.h."""

HANDLES = ()

ENUMS = {
    "scope_error_code": {
        "SCOPE_OK": 0,
        "SCOPE_EINVAL": -1,
        "SCOPE_ENOMEM": -2,
        "SCOPE_ENOENT": -3,
        "SCOPE_EPERM": -4,
        "SCOPE_EIO": -5,
        "SCOPE_ENOSPC": -6,
        "SCOPE_ENOTSUP": -7,
        "SCOPE_ESTATE": -8,
        "SCOPE_EUSER": -9,
        "SCOPE_EPARSE": -10,
        "SCOPE_ENET": -11,
        "SCOPE_EHTTP": -12,
        "SCOPE_ETIMEDOUT": -13,
        "SCOPE_EGONE": -14,
        "SCOPE_ENODEV": -15,
        "SCOPE_ELIMIT": -16,
        "SCOPE_EEXIST": -17,
        "SCOPE_ESERVER": -18,
        "SCOPE_EINTERNAL": -19,
    },
}

STRUCTS = {}
CALLBACKS = {}

FUNCTIONS = (
    ("scope_version", "const char *", ()),
    ("scope_version_number", "int", (), "nocheck"),
    ("scope_strerror", "const char *", ("int",)),
    ("scope_error_name", "const char *", ("int",)),
    ("scope_error_message", "const char *", ()),
    ("scope_error_code", "int", (), "nocheck"),
    ("scope_error_errno", "int", (), "nocheck"),
    ("scope_error_clear", "void", ()),
    ("scope_clock_now", "void", ("int64_t *", "int64_t *")),
    ("scope_clock_wall_ns", "int64_t", ()),
    ("scope_clock_mono_ns", "int64_t", ()),
)
