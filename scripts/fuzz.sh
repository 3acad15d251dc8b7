#!/usr/bin/env bash
# Runs every libFuzzer target under ASan+UBSan for a bounded time each
# (default 30 s; `scripts/fuzz.sh 600` for a longer run), seeded from
# fuzz/corpus/<target>/ (kept in git) plus the test fixtures. New inputs go to
# build-fuzz/corpus/ (not git). A crash stops the run; its input is saved as
# build-fuzz/crash-*: add it to fuzz/corpus/<target>/ as a regression fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCONVSCOPE_FUZZ=ON -DCONVSCOPE_SANITIZE=ON >/dev/null
cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)"
for target in json_fuzz share_link_fuzz analyze_fuzz import_fuzz python_fuzz; do
  work=build-fuzz/corpus/$target
  mkdir -p "$work"
  seeds=(fuzz/corpus/$target)
  case $target in
    json_fuzz|analyze_fuzz) seeds+=(examples tests/fixtures/networks tests/fixtures/malformed) ;;
    import_fuzz) seeds+=(tests/fixtures/import tests/fixtures/models) ;;
    python_fuzz) if [ -d tests/fixtures/code ]; then seeds+=(tests/fixtures/code); fi ;;
  esac
  echo "== $target for ${seconds}s"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    build-fuzz/$target "$work" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix=build-fuzz/ -print_final_stats=1 2>&1 |
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|INFO: Running with|.*Test unit written)" || true
  # Any one kind of artifact fails the run (each glob tested on its own: a
  # single `ls` of all three fails whenever one matches nothing).
  for kind in crash timeout leak oom slow-unit; do
    if compgen -G "build-fuzz/$kind-*" >/dev/null; then
      echo "fuzz: $target found a failing input: $(compgen -G "build-fuzz/$kind-*" | head -1)"
      exit 1
    fi
  done
done
echo "fuzz: no crashes"
