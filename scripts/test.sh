#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors and runs
# every test: native doctest (plain and under ASan+UBSan), the conformance
# suite against real PyTorch, ONNX Runtime and TensorFlow.js, bounded fuzzing,
# the WASM module in Node, and the page in headless Chromium. .ci/run calls
# exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh

step "build (native, wasm, dist/) with -Werror"
CONVSCOPE_WERROR=ON scripts/build.sh

step "native tests"
ctest --test-dir build --output-on-failure -j"$jobs"

step "conformance: generated cases in real PyTorch, ONNX Runtime and TensorFlow.js, compared with the CLI"
# Every *.test.mjs here, the code corpus's (code_import.test.mjs: the files of
# tests/fixtures/code run in PyTorch against `convscope import`) included.
node --test tests/conformance/
node tests/conformance/run.mjs --only pytorch,onnx,tensorflow

step "native tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCONVSCOPE_WERROR=ON -DCONVSCOPE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target convscope convscope_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j"$jobs"

step "fuzzing: every libFuzzer target for a bounded time under ASan+UBSan"
scripts/fuzz.sh "${CONVSCOPE_FUZZ_SECONDS:-30}"

step "WASM module tests (Node)"
node --test tests/wasm/

step "browser tests (headless Chromium)"
node --test --test-concurrency=1 tests/web/

echo
echo "All tests passed."
