#!/usr/bin/env bash
# Builds the native CLI and tests (build/), the WASM module (build-wasm/) and
# the static site (dist/). CONVSCOPE_WERROR=ON makes warnings errors (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
werror=${CONVSCOPE_WERROR:-OFF}

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCONVSCOPE_WERROR="$werror" >/dev/null
cmake --build build -j"$jobs"

# Debian's em++ needs acorn from Debian's node modules (the machine's Node is not Debian's).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release -DCONVSCOPE_WERROR="$werror" >/dev/null
cmake --build build-wasm -j"$jobs"

# dist/: a self-contained static folder for any static host.
rm -rf dist
mkdir -p dist/examples
cp -r web/. dist/
rm -f dist/README.md  # web/README.md documents the source folder, not the site
# Emscripten 3.1.6's ES-module output still calls require() and __dirname on
# Node; define both there (newer Emscripten emits the same). In a browser the
# guard is false and nothing is imported.
# convscope-fma-mt: the threaded FMA build (CMakeLists.txt), with its own glue
# and the script of its threads' workers, loaded only by cross-origin-isolated pages.
for module in convscope convscope-shapes convscope-fma-mt; do
  cp "build-wasm/$module.wasm" dist/
  {
    echo "// Node shim added by scripts/build.sh (Emscripten 3.1.6 ES6 output uses require/__dirname on Node)."
    echo "const __csNode = typeof process === 'object' && typeof process.versions === 'object' && typeof process.versions.node === 'string';"
    echo "const require = __csNode ? (await import('node:module')).createRequire(import.meta.url) : undefined;"
    echo "const __dirname = __csNode ? (await import('node:path')).dirname((await import('node:url')).fileURLToPath(import.meta.url)) : '';"
    cat "build-wasm/$module.js"
  } > "dist/$module.js"
  # Emscripten 3.1.6 minifies its glue only with Closure (Java): esbuild does
  # it here (the first view's glue: 10.5 -> 7.9 KB gzip). Embind reaches the
  # module's members by string keys, which minification keeps.
  node_modules/.bin/esbuild "dist/$module.js" --minify --format=esm --target=es2022 --outfile="dist/$module.js" \
    --allow-overwrite --log-level=warning
done
# convscope-fma.wasm (the kernels with relaxed-SIMD multiply-adds) is loaded
# through convscope.js: the two links differ only in the kernels' code, so
# their JS glue is the same but for the file name; stop if that ever changes.
if ! diff -q <(sed 's/convscope-fma/convscope/g' build-wasm/convscope-fma.js) build-wasm/convscope.js >/dev/null; then
  echo "build: convscope-fma.js differs from convscope.js beyond the file name; the FMA module cannot share its glue" >&2
  exit 1
fi
cp build-wasm/convscope-fma.wasm build-wasm/convscope-fma-mt.worker.js dist/
# The threads' script is a classic script (browsers start it with new Worker());
# Node would load a .js here as an ES module (package.json's "type"), so Node
# (the WASM tests) gets the same file as .cjs, through locateFile.
cp build-wasm/convscope-fma-mt.worker.js dist/convscope-fma-mt.worker.cjs
# The page's own modules and styles, minified under the same names (so the
# modulepreload list in index.html stays true), each with a source map that
# carries the original text for the browser's developer tools.
web_sources=(web/*.js web/*.css)
node_modules/.bin/esbuild "${web_sources[@]}" --minify --sourcemap --target=es2022 --outdir=dist \
  --log-level=warning --allow-overwrite
cp examples/*.json dist/examples/
if [ -d samples ]; then cp -r samples dist/; fi
echo "build: dist/ ready (convscope.wasm $(wc -c < dist/convscope.wasm) bytes, convscope-fma.wasm $(wc -c < dist/convscope-fma.wasm) bytes, convscope-fma-mt.wasm $(wc -c < dist/convscope-fma-mt.wasm) bytes, convscope-shapes.wasm $(wc -c < dist/convscope-shapes.wasm) bytes)"
