#!/usr/bin/env bash
# The kernel benchmark (not a test; scripts/test.sh never runs it):
#   bash bench/kernels/run.sh            # all nine layers, median of 25 runs
#   RUNS=40 LAYERS=1,8 bash bench/kernels/run.sh
#   CONVSCOPE_DIST=/path/to/dist bash bench/kernels/run.sh   # another build
# Needs the built site (bash scripts/build.sh -> dist/, or any folder with
# convscope.js, convscope.wasm, convscope-fma.wasm and kernels.js named by CONVSCOPE_DIST) and
# Emscripten (for the peak loop). Installs the peers from this folder's own
# lockfile.
set -euo pipefail
cd "$(dirname "$0")"
export CONVSCOPE_DIST="$(realpath "${CONVSCOPE_DIST:-../../dist}")"
[ -f "$CONVSCOPE_DIST/convscope.js" ] || { echo "run.sh: $CONVSCOPE_DIST/convscope.js is missing; run bash scripts/build.sh first" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error
# Debian's em++ needs acorn from Debian's node modules (as in scripts/build.sh).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
# Built into node_modules/ (ignored by git, emptied by npm ci).
em++ -O3 -msimd128 --no-entry -sSTANDALONE_WASM -sEXPORTED_FUNCTIONS=_peak,_peak_flops peak.cpp \
  -o node_modules/.convscope-peak.wasm
em++ -O3 -msimd128 -mrelaxed-simd --no-entry -sSTANDALONE_WASM -sEXPORTED_FUNCTIONS=_peak,_peak_flops peak.cpp \
  -o node_modules/.convscope-peak-fma.wasm
node ../../scripts/wasm-relaxed-opcodes.mjs node_modules/.convscope-peak-fma.wasm >/dev/null
# Node 20 runs relaxed SIMD (the FMA build and peak) only behind this flag.
node --experimental-wasm-relaxed-simd run.mjs
