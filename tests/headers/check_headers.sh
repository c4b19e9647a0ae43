#!/usr/bin/env bash
# Each public header must compile alone, first, as C11 and as C++11 with
# -Wall -Wextra -pedantic -Werror.
set -u
cc=$1 cxx=$2 inc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
for h in "$inc"/scope/*.h; do
  name=$(basename "$h")
  printf '#include <scope/%s>\nint scope_header_test_%s;\n' "$name" "${name%.h}" >"$tmp/t.c"
  cp "$tmp/t.c" "$tmp/t.cpp"
  if ! "$cc" -std=c11 -Wall -Wextra -pedantic -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"; then
    echo "FAIL: $name does not compile alone as C11"; fail=1
  fi
  if ! "$cxx" -std=c++11 -Wall -Wextra -pedantic -Werror -I"$inc" -c "$tmp/t.cpp" -o "$tmp/t.o"; then
    echo "FAIL: $name does not compile alone as C++11"; fail=1
  fi
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no headers found in $inc/scope"; exit 1; }
# Every SCOPE_API function has a documentation block naming its errors or
# saying it has none, and its Since.
for h in "$inc"/scope/*.h; do
  if grep -q 'SCOPE_API' "$h" && ! grep -q 'Since' "$h"; then
    echo "FAIL: $(basename "$h") declares API without 'Since'"; fail=1
  fi
done
echo "headers: $n checked"
exit $fail
