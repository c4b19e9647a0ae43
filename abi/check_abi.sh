#!/usr/bin/env bash
# Compares the built libscope.so.0 with the committed ABI baseline
# (abi/libscope.abi, made by abidw). Any difference fails, except appending
# fields to a *_opts struct (abi/suppressions.txt). To change the ABI on
# purpose, see docs/api-stability.md: regenerate the baseline with
#   abi/check_abi.sh --update build/libscope.so.0
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--update" ]; then
  abidw --no-corpus-path --drop-private-types --headers-dir "$here/../include/scope" \
    --out-file "$here/libscope.abi" "$2"
  echo "abi: baseline written to $here/libscope.abi"
  exit 0
fi
so=$1
command -v abidiff >/dev/null || { echo "FAIL: abidiff missing (Debian package abigail-tools)"; exit 1; }
abidiff --suppressions "$here/suppressions.txt" \
  --headers-dir2 "$here/../include/scope" "$here/libscope.abi" "$so"
rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: the ABI of $so differs from abi/libscope.abi (abidiff exit $rc)."
  echo "If the change is intended, follow docs/api-stability.md and run: abi/check_abi.sh --update $so"
  exit 1
fi
echo "abi: $so matches the baseline"
