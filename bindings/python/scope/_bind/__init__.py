"""The binding table: one module per library area (core, series, collector,
proc, recorder, export, ...). Each module lists what its C header declares,
written with the C types of the header so that a test
(tests/test_agreement.py) can hold the table, the headers and the exported
symbols in agreement:

    FUNCTIONS  tuple of (name, restype, (argtypes...)[, flags]) with C type
               spellings as in the header ("const scope_series_set *", ...).
               flags: "nocheck" for int functions whose result is a value,
               not an error code; "count" for functions whose non-negative
               result is a count and negative result an error.
    STRUCTS    {"scope_x_opts": ((field C type, field name), ...)}
    CALLBACKS  {"scope_x_cb": (restype, (argtypes...))}
    HANDLES    names of the opaque handle types (passed as void pointers)
    ENUMS      {"enum name": {"SCOPE_X": value, ...}}
    SINCE      "0.N" (optional): the library minor release the area needs

To add an area: copy its header's declarations into a new module here and
list it in AREAS below.
"""

AREAS = ("core", "series", "collector", "proc", "recorder", "export", "cgroup", "target",
         "pmu", "topdown", "uncore", "prom", "hist", "load")
