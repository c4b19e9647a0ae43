#!/usr/bin/env bash
# Install to a temporary prefix, then build and run a consumer program with
# `pkg-config --cflags --libs libscope`, and a CMake consumer with
# find_package(libscope) and target libscope::scope.
set -eu
build=$1 cc=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs libscope)
"$cc" -std=c11 -Wall -Wextra -Werror "$here/consumer.c" $flags -o "$tmp/consumer"
LD_LIBRARY_PATH="$libdir" "$tmp/consumer" >"$tmp/out"
grep -q '^process_threads{comm="consumer",pid="[0-9]*"} 2$' "$tmp/out" || {
  echo "FAIL: unexpected consumer output:"; cat "$tmp/out"; exit 1; }
# CMake consumer
mkdir -p "$tmp/cm"
cat >"$tmp/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(libscope 0.1 REQUIRED)
add_executable(consumer $here/consumer.c)
target_link_libraries(consumer PRIVATE libscope::scope)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/cm/build/consumer" | grep -q '^# TYPE process_cpu_seconds_total counter$'
echo "consumer: pkg-config and CMake consumers built and ran"
