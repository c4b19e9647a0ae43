"""include/scope/series.h."""

HANDLES = ("scope_series_set", "scope_series")

ENUMS = {
    "scope_metric_kind": {"SCOPE_GAUGE": 1, "SCOPE_COUNTER": 2},
}

STRUCTS = {}
CALLBACKS = {}

FUNCTIONS = (
    ("scope_metric_kind_name", "const char *", ("int",)),
    ("scope_series_set_new", "int", ("scope_series_set **",)),
    ("scope_series_set_free", "void", ("scope_series_set *",)),
    ("scope_series_set_count", "size_t", ("const scope_series_set *",)),
    ("scope_series_set_at", "scope_series *", ("const scope_series_set *", "size_t")),
    ("scope_series_set_add", "int",
     ("scope_series **", "scope_series_set *", "const char *", "const char *const *",
      "const char *const *", "size_t", "const char *", "int", "const char *")),
    ("scope_series_set_find", "int",
     ("scope_series **", "const scope_series_set *", "const char *", "const char *const *",
      "const char *const *", "size_t")),
    ("scope_series_set_merge", "int", ("scope_series_set *", "const scope_series_set *")),
    ("scope_series_set_slice", "int",
     ("scope_series_set **", "const scope_series_set *", "int64_t", "int64_t")),
    ("scope_series_set_rate", "int", ("scope_series_set **", "const scope_series_set *")),
    ("scope_series_name", "const char *", ("const scope_series *",)),
    ("scope_series_unit", "const char *", ("const scope_series *",)),
    ("scope_series_help", "const char *", ("const scope_series *",)),
    ("scope_series_kind", "int", ("const scope_series *",), "nocheck"),
    ("scope_series_label_count", "size_t", ("const scope_series *",)),
    ("scope_series_label_key", "const char *", ("const scope_series *", "size_t")),
    ("scope_series_label_value", "const char *", ("const scope_series *", "size_t")),
    ("scope_series_label", "const char *", ("const scope_series *", "const char *")),
    ("scope_series_count", "size_t", ("const scope_series *",)),
    ("scope_series_timestamps", "const int64_t *", ("const scope_series *",)),
    ("scope_series_values", "const double *", ("const scope_series *",)),
    ("scope_series_append", "int", ("scope_series *", "int64_t", "double")),
    ("scope_series_append_n", "int",
     ("scope_series *", "const int64_t *", "const double *", "size_t")),
    ("scope_series_reserve", "int", ("scope_series *", "size_t")),
    ("scope_series_end", "int", ("scope_series *", "int64_t")),
    ("scope_series_end_time", "int64_t", ("const scope_series *",)),
)
