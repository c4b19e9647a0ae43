"""include/scope/proc.h."""

HANDLES = ()
ENUMS = {}
CALLBACKS = {}

STRUCTS = {
    "scope_proc_opts": (("size_t", "size"), ("int32_t", "threads"), ("int32_t", "skip_status")),
}

FUNCTIONS = (
    ("scope_proc_opts_init", "int", ("scope_proc_opts *", "size_t")),
    ("scope_proc_open", "int", ("scope_collector **", "int", "const scope_proc_opts *")),
)
