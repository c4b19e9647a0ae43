#!/usr/bin/env python3
"""Every size-tagged public struct (a typedef struct whose first member is
`size_t size`: options and stats) has no padding anywhere: the sum of its
members' sizes equals its size. A caller's padding bytes are not guaranteed
to be zero, and a later library version would read them as new fields."""
import glob
import os
import re
import subprocess
import sys
import tempfile

cc, inc = sys.argv[1], sys.argv[2]
structs = []
for h in sorted(glob.glob(os.path.join(inc, "scope", "*.h"))):
    text = open(h).read()
    for m in re.finditer(r"typedef struct (scope_\w+) \{(.*?)\} \1;", text, re.S):
        name, body = m.group(1), re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.S)
        names = []
        for stmt in body.split(";"):
            stmt = " ".join(stmt.split())
            m2 = re.match(r"^[A-Za-z_][\w ]*?[ \*]+(\**\w+(?: *, *\**\w+)*)$", stmt)
            if m2:
                names += [n.strip().lstrip("*") for n in m2.group(1).split(",")]
        if not names or names[0] != "size":
            continue
        structs.append((os.path.basename(h), name, names))
if not structs:
    sys.exit("FAIL: no size-tagged structs found")
src = ["#include <stddef.h>", "#include <scope/scope.h>"]
for h, name, members in structs:
    total = " + ".join(f"sizeof(((({name} *)0)->{m}))" for m in members)
    src.append(f'_Static_assert(sizeof({name}) == {total}, "{name} ({h}) has padding: '
               f'pair its 32-bit fields or add a real field");')
src.append("int main(void) { return 0; }")
with tempfile.TemporaryDirectory() as d:
    c = os.path.join(d, "pad.c")
    open(c, "w").write("\n".join(src) + "\n")
    r = subprocess.run([cc, "-std=c11", "-I", inc, "-c", c, "-o", os.path.join(d, "pad.o")],
                       capture_output=True, text=True)
    if r.returncode:
        print(r.stderr)
        sys.exit("FAIL: padded public structs (see above)")
print(f"opts padding: {len(structs)} size-tagged structs checked: " +
      ", ".join(n for _, n, _ in structs))
