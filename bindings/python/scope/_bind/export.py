"""include/scope/export.h."""

HANDLES = ()

ENUMS = {
    "scope_export_format": {"SCOPE_EXPORT_CSV": 1, "SCOPE_EXPORT_JSONL": 2,
                            "SCOPE_EXPORT_PROMETHEUS": 3, "SCOPE_EXPORT_OPENMETRICS": 4},
}

STRUCTS = {
    "scope_export_opts": (("size_t", "size"), ("int32_t", "timestamps"),
                          ("int32_t", "no_header")),
}

CALLBACKS = {}

FUNCTIONS = (
    ("scope_export_opts_init", "int", ("scope_export_opts *", "size_t")),
    ("scope_export_format_name", "const char *", ("int",)),
    ("scope_export_write", "int",
     ("const scope_series_set *", "int", "FILE *", "const scope_export_opts *")),
    ("scope_export_path", "int",
     ("const scope_series_set *", "int", "const char *", "const scope_export_opts *")),
    ("scope_export_buffer", "int",
     ("char **", "size_t *", "const scope_series_set *", "int", "const scope_export_opts *")),
    ("scope_buffer_free", "void", ("void *",)),
)
