"""include/scope/collector.h."""

HANDLES = ("scope_collector",)
ENUMS = {}
STRUCTS = {}
CALLBACKS = {}

FUNCTIONS = (
    ("scope_collector_start", "int", ("scope_collector *",)),
    ("scope_collector_sample", "int", ("scope_collector *", "scope_series_set *")),
    ("scope_collector_rescan", "int", ("scope_collector *",), "count"),
    ("scope_collector_stop", "int", ("scope_collector *",)),
    ("scope_collector_free", "void", ("scope_collector *",)),
    ("scope_collector_name", "const char *", ("const scope_collector *",)),
    ("scope_collector_metric_count", "size_t", ("const scope_collector *",)),
    ("scope_collector_metric_at", "int",
     ("const scope_collector *", "size_t", "const char **", "const char **", "int *",
      "const char **")),
)
