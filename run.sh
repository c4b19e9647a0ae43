#!/usr/bin/env bash
# libscope's two commands (see README.md):
#   ./run.sh demo   install what is missing, build, run the main job
#   ./run.sh test   install what is missing, build, run the whole test suite
#                   twice: a -Werror build and an ASan+UBSan build, then every
#                   fuzz target for 60 s
# Both install libscope under /usr/local (so that `pkg-config libscope` and
# `/usr/bin/python3 -c "import scope"` work afterwards).
# Other verbs: setup (packages only), build (the -Werror build only),
# install, bench.
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD

# Debian packages libscope builds, tests and runs with. Installed only when
# missing; `apt-get update` runs once, and only if something is missing.
PACKAGES=(
  build-essential cmake pkg-config check clang valgrind abigail-tools
  libpfm4-dev libcurl4-openssl-dev libjansson-dev libcgroup-dev libssl-dev liburing-dev libmicrohttpd-dev zlib1g-dev
  linux-perf nginx-light wrk prometheus prometheus-pushgateway iproute2 procps curl
  python3 python3-numpy python3-pandas python3-matplotlib jupyter-nbconvert python3-ipykernel
)

setup() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "run.sh: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian's nginx and prometheus packages start system services on install;
  # libscope's tests start their own on free loopback ports.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl stop nginx prometheus prometheus-node-exporter prometheus-pushgateway 2>/dev/null || true
  fi
}

jobs() { nproc 2>/dev/null || echo 2; }

build() { # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S "$top" -B "$dir" -DSCOPE_WERROR=ON -DBUILD_TESTING=ON "$@" >/dev/null
  cmake --build "$dir" -j"$(jobs)"
}

# Installs the library, headers, pkg-config file, examples and the Python
# package (where /usr/bin/python3 finds it) under /usr/local.
install_build() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo cmake --install build >/dev/null
  $sudo ldconfig
}

case "${1:-}" in
  setup) setup ;;
  build) setup; build build ;;
  install) setup; build build >/dev/null; install_build ;;
  demo)
    setup
    build build >/dev/null
    install_build
    shift
    if [ -x "$top/build/examples/scope-run" ]; then
      exec "$top/build/examples/scope-run" "$@"
    fi
    # Until the experiment runner lands: record a context-switch-heavy
    # workload (perf's pipe ping-pong) and print what happened.
    exec "$top/build/examples/scope-record" -I 100 -o "$top/build/demo.csv" -- \
      perf bench sched pipe -l 200000
    ;;
  test)
    setup
    build build
    install_build
    # Serially: several tests compare with perf stat, /proc or cgroup files
    # read at the same instants, and a second test on the other core of a
    # 2-core machine skews them.
    (cd build && ctest --output-on-failure --timeout 900)
    build build-asan -DSCOPE_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug -DSCOPE_BUILD_BENCH=OFF
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --output-on-failure --timeout 900 -LE 'nosan')
    # Every parser of outside input under libFuzzer (ASan+UBSan), bounded.
    cmake -S "$top" -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DSCOPE_BUILD_FUZZ=ON -DBUILD_TESTING=OFF -DSCOPE_BUILD_EXAMPLES=OFF -DSCOPE_BUILD_BENCH=OFF >/dev/null
    cmake --build build-fuzz -j"$(jobs)" >/dev/null
    fuzz/run.sh build-fuzz "${SCOPE_FUZZ_SECONDS:-60}"
    ;;
  bench)
    setup
    build build >/dev/null
    shift
    for b in build/bench/bench_*; do [ -x "$b" ] && "$b" "$@"; done
    ;;
  *)
    echo "usage: $0 demo|test|setup|build|install|bench" >&2
    exit 2
    ;;
esac
