"""include/scope/recorder.h."""

HANDLES = ("scope_recorder",)
ENUMS = {}

STRUCTS = {
    "scope_recorder_opts": (("size_t", "size"), ("int64_t", "interval_ns"),
                            ("int64_t", "duration_ns"), ("int32_t", "rescan_every"),
                            ("int32_t", "no_self_series"), ("int64_t", "keep_last")),
}

CALLBACKS = {
    "scope_recorder_cb": ("int", ("scope_recorder *", "const scope_series_set *", "int64_t",
                                  "void *")),
}

FUNCTIONS = (
    ("scope_recorder_opts_init", "int", ("scope_recorder_opts *", "size_t")),
    ("scope_recorder_new", "int", ("scope_recorder **", "const scope_recorder_opts *")),
    ("scope_recorder_free", "void", ("scope_recorder *",)),
    ("scope_recorder_add", "int", ("scope_recorder *", "scope_collector *")),
    ("scope_recorder_set_callback", "int", ("scope_recorder *", "scope_recorder_cb", "void *")),
    ("scope_recorder_start", "int", ("scope_recorder *",)),
    ("scope_recorder_mark", "int", ("scope_recorder *", "const char *", "const char *")),
    ("scope_recorder_stop", "int", ("scope_recorder *",)),
    ("scope_recorder_wait", "int", ("scope_recorder *",)),
    ("scope_recorder_series", "const scope_series_set *", ("const scope_recorder *",)),
    ("scope_recorder_sample_count", "uint64_t", ("const scope_recorder *",)),
    ("scope_recorder_missed_count", "uint64_t", ("const scope_recorder *",)),
    ("scope_recorder_error_count", "uint64_t", ("const scope_recorder *",)),
    ("scope_recorder_last_error", "const char *", ("const scope_recorder *",)),
)
