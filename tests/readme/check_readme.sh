#!/usr/bin/env bash
# The README's C and Python examples compile and run (against the build tree).
set -eu
src=$1 build=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/{f=1;next}/^```$/{f=0}f' "$src/README.md" >"$tmp/readme.c"
"$cc" -std=c11 -Wall -Wextra -Werror -I"$src/include" "$tmp/readme.c" -L"$build" -lscope -o "$tmp/readme"
sed -i 's/5000000000/300000000/' "$tmp/readme.c" # (the shipped example records 5 s)
"$cc" -std=c11 -I"$src/include" "$tmp/readme.c" -L"$build" -lscope -o "$tmp/short"
LD_LIBRARY_PATH="$build" "$tmp/short" "pid:$$" >"$tmp/out"
grep -q '^[0-9]*,container_cpu_usage_seconds_total,' "$tmp/out" || { echo "FAIL: C example output"; head "$tmp/out"; exit 1; }
if LD_LIBRARY_PATH="$build" "$tmp/short" >/dev/null 2>&1; then echo "FAIL: no argument accepted"; exit 1; fi
awk '/^```python$/{f=1;next}/^```$/{f=0}f' "$src/README.md" | sed 's/time.sleep(2)/time.sleep(0.3)/' >"$tmp/readme.py"
echo 'assert len(df) > 0 and "process_cpu_seconds_total" in set(df["metric"]), df' >>"$tmp/readme.py"
SCOPE_LIBRARY="$build/libscope.so.0" PYTHONPATH="$src/bindings/python" /usr/bin/python3 "$tmp/readme.py"
echo "readme: C and Python examples ran"
