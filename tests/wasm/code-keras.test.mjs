// Keras code through the WASM module: importText reads the corpus's Keras
// files (tests/fixtures/code) into the same network JSON as the CLI's
// `convscope import`, byte for byte, with and without an input shape given,
// and the model choice is offered the same way.
// Run after scripts/build.sh: node --test tests/wasm/code-keras.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.DIST_DIR || join(root, 'dist');
const cli = process.env.CONVSCOPE_CLI || join(root, 'build', 'convscope');

const { default: createConvScope } = await import(pathToFileURL(join(dist, 'convscope.js')).href);
const engine = await createConvScope({ wasmBinary: readFileSync(join(dist, 'convscope.wasm')) });

const cases = [
  ['keras_mnist_convnet.py', ''],
  ['keras_mnist_convnet.py', '1x32x32x1'],
  ['keras_unet.py', ''],
  ['keras_unet.py', '1x100x100x3'],
];

for (const [file, input] of cases) {
  test(`${file}${input ? ` at ${input}` : ''}: importText gives the CLI's network`, () => {
    const path = join(root, 'tests', 'fixtures', 'code', file);
    const r = engine.importText(readFileSync(path, 'utf8'), input, '', '');
    const c = spawnSync(cli, ['import', ...(input ? ['--input', input] : []), path], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    assert.equal(r.exitCode, 0, r.error);
    assert.equal(r.format, 'python_code');
    assert.equal(r.output, c.stdout);
    const net = JSON.parse(r.output);
    assert.equal(net.framework, 'tensorflow');
    assert.ok(net.layers.every((l) => l.source && Number.isInteger(l.source.line)), 'every layer has its line');
  });
}
