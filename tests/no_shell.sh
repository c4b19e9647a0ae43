#!/bin/sh
# The library never runs a shell or another program (issue 10): the built
# libscope.so imports none of system, popen, the exec family, posix_spawn
# or fork, and no library source calls them.
#   no_shell.sh LIBSCOPE_SO SOURCE_DIR
set -u
so=$1 src=$2
bad='^(system|popen|execl|execlp|execle|execv|execvp|execvpe|execve|fexecve|posix_spawn|posix_spawnp|fork|vfork|clone|wordexp)$'
imports=$(nm -D --undefined-only "$so" | awk '{print $NF}' | sed 's/@.*//')
[ -n "$imports" ] || { echo "FAIL: no imports read from $so"; exit 1; }
# the check can fail: malloc must be among the imports
echo "$imports" | grep -qx malloc || { echo "FAIL: nm output not understood"; exit 1; }
hits=$(echo "$imports" | grep -E "$bad")
if [ -n "$hits" ]; then
  echo "FAIL: $so imports: $hits"; exit 1
fi
src_hits=$(grep -rnE '\b(system|popen|execl[pe]?|execv[pe]?|execvpe|fexecve|posix_spawnp?|v?fork|wordexp)[[:space:]]*\(' \
  "$src/lib" --include='*.c' --include='*.h' | grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*|//)')
if [ -n "$src_hits" ]; then
  echo "FAIL: library sources call:"; echo "$src_hits"; exit 1
fi
echo "ok: $(echo "$imports" | wc -l) imports, none runs a program"
