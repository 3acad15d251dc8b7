#!/usr/bin/env bash
# Installs what ConvScope needs and is missing: Debian packages (apt) and the
# npm packages pinned by package-lock.json. Safe to run again: it does
# nothing when everything is present.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh build    only what building and serving needs
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(cmake g++ make emscripten python3 libsimde-dev)
# python3-torch and python3-onnx: the real frameworks of the conformance suite
# (tests/conformance), run with /usr/bin/python3.
test_packages=(doctest-dev chromium clang-14 libclang-rt-14-dev python3-torch python3-torchvision python3-onnx python3-numpy)
packages=("${build_packages[@]}")
[ "${1:-all}" = build ] || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null 2>&1; then
  echo "install-deps: Node.js is missing; installing Debian's nodejs and npm"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

# Exactly the locked versions (esbuild minifies the page at build time; the
# tests use playwright-core and axe-core); never a browser download
# (playwright-core has none).
# onnxruntime-node's install script would fetch CUDA libraries from NuGet
# (offline here, and unused: the suite runs on the CPU); skip it.
if [ ! -d node_modules ] || ! npm ls --silent >/dev/null 2>&1; then
  echo "install-deps: npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi
