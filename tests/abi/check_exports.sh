#!/usr/bin/env bash
# The shared library exports exactly the symbols of the version script, all
# named scope_* (never scope__*), and every one is declared SCOPE_API in a
# public header.
set -u
so=$1 map=$2 hdrs=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u >"$tmp/nm"
grep -E '^\s+scope_[a-z0-9_]+;' "$map" | tr -d ' ;' | sort -u >"$tmp/map"
fail=0
if ! diff -u "$tmp/map" "$tmp/nm"; then
  echo "FAIL: exported symbols differ from the version script (- map, + library)"; fail=1
fi
if grep -vE '^scope_[a-z0-9]' "$tmp/nm"; then
  echo "FAIL: symbols outside the scope_ namespace are exported"; fail=1
fi
grep -ho 'scope_[a-z0-9_]*(' "$hdrs"/*.h | tr -d '(' | sort -u >"$tmp/decl"
missing=$(comm -23 "$tmp/map" "$tmp/decl")
if [ -n "$missing" ]; then
  echo "FAIL: exported but not declared in a public header:"; echo "$missing"; fail=1
fi
soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
[ "$soname" = "libscope.so.0" ] || { echo "FAIL: soname is '$soname', expected libscope.so.0"; fail=1; }
echo "exports: $(wc -l <"$tmp/nm") symbols, soname $soname"
exit $fail
