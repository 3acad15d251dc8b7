// The framework comparison in the WASM module: for every example network,
// compareFrameworks / compareFrameworksTable return the bytes and exit code
// of `convscope compare` and `convscope compare --text`, and a malformed
// network gets the CLI's message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.DIST_DIR || join(root, 'dist');
const cli = process.env.CONVSCOPE_CLI || join(root, 'build', 'convscope');

const { default: createConvScope } = await import(pathToFileURL(join(dist, 'convscope.js')).href);
const engine = await createConvScope({ wasmBinary: readFileSync(join(dist, 'convscope.wasm')) });

const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.json') && f !== 'index.json');

test('every example is compared', () => assert.ok(examples.length >= 10));

for (const file of examples) {
  test(`compareFrameworks(${file}) is convscope compare's output`, () => {
    const text = readFileSync(join(root, 'examples', file), 'utf8');
    for (const [fn, args] of [['compareFrameworks', []], ['compareFrameworksTable', ['--text']]]) {
      const native = spawnSync(cli, ['compare', ...args, join(root, 'examples', file)], { encoding: 'utf8' });
      const wasm = engine[fn](text);
      assert.equal(wasm.exitCode, native.status);
      assert.equal(wasm.output, native.stdout);
    }
  });
}

test('a network that parts: exit 1 and the rule of the difference', () => {
  const net = JSON.stringify({ framework: 'pytorch', input: [1, 3, 9, 9],
    layers: [{ type: 'conv', name: 'c', filters: 4, kernel: 3, stride: 2, padding: 'same' }] });
  const r = engine.compareFrameworks(net);
  assert.equal(r.exitCode, 1);
  const report = JSON.parse(r.output);
  assert.deepEqual(report.rows[0].differs, ['verdict']);
  assert.match(report.rows[0].rule, /^PyTorch: fails: PyTorch refuses padding='same'/);
});

test('malformed input gets the CLI message', () => {
  const bad = '{"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"conv","kernel":3}]}';
  const native = spawnSync(cli, ['compare', '-'], { input: bad, encoding: 'utf8' });
  const r = engine.compareFrameworks(bad);
  assert.equal(r.exitCode, 2);
  assert.equal(native.status, 2);
  assert.equal(`convscope: ${r.error}\n`, native.stderr);
});
