// The WASM module in Node: every example and fixture through the real
// Emscripten build, compared byte for byte with the native CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.DIST_DIR || join(root, 'dist');
const cli = process.env.CONVSCOPE_CLI || join(root, 'build', 'convscope');

// Node 20 cannot fetch the .wasm by path from the generated loader: hand it the bytes.
async function load(name) {
  const { default: factory } = await import(pathToFileURL(join(dist, `${name}.js`)).href);
  return factory({ wasmBinary: readFileSync(join(dist, `${name}.wasm`)) });
}
// The full module (shapes, kernels, import) and the page's first-view module
// (the shape engine alone) must answer byte for byte alike.
const engine = await load('convscope');
const shapes = await load('convscope-shapes');

const jsonFiles = (dir) => readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
const networks = [
  ...jsonFiles(join(root, 'examples')).filter((f) => !f.endsWith('index.json')),
  ...jsonFiles(join(root, 'tests', 'fixtures', 'networks')),
];
const malformed = jsonFiles(join(root, 'tests', 'fixtures', 'malformed'));

function runCli(args, input) {
  const r = spawnSync(cli, args, { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('there are examples and fixtures to compare', () => {
  assert.ok(networks.length >= 10, `only ${networks.length} networks found`);
  assert.ok(malformed.length >= 5, `only ${malformed.length} malformed fixtures found`);
});

for (const file of networks) {
  const name = file.slice(root.length + 1);
  test(`analyze(${name}) is byte-identical to the CLI's JSON report, in both modules`, () => {
    const text = readFileSync(file, 'utf8');
    const native = runCli(['analyze', file]);
    const wasm = engine.analyze(text);
    const firstView = shapes.analyze(text);
    assert.equal(firstView.exitCode, native.code);
    assert.equal(firstView.output, native.stdout);
    assert.ok(native.code === 0 || native.code === 1, native.stderr);
    assert.equal(wasm.exitCode, native.code);
    assert.equal(wasm.output, native.stdout);
    const report = JSON.parse(wasm.output);
    assert.equal(report.layers.length, JSON.parse(text).layers.length);
  });

  test(`textReport(${name}) is byte-identical to the CLI's --text table`, () => {
    const native = runCli(['analyze', '--text', file]);
    const wasm = engine.textReport(readFileSync(file, 'utf8'));
    assert.equal(wasm.exitCode, native.code);
    assert.equal(wasm.output.endsWith('\n') ? wasm.output : wasm.output + '\n', native.stdout);
  });

  test(`share link of ${name} round-trips and matches the CLI`, () => {
    const text = readFileSync(file, 'utf8');
    const link = engine.encodeShareLink(text, '[]');
    assert.equal(link.exitCode, 0, link.error);
    assert.equal(link.output + '\n', runCli(['link', file]).stdout);
    const back = engine.decodeShareLink('#' + link.output);
    assert.equal(back.exitCode, 0, back.error);
    // Links carry the network, not its prose description.
    const normalized = JSON.parse(engine.normalize(text).output);
    delete normalized.description;
    assert.deepEqual(JSON.parse(back.output), normalized);
    // The restored network analyses exactly like the original.
    assert.equal(engine.analyze(back.output).output.replace(/ *"description": .*\n/g, ''),
                 engine.analyze(text).output.replace(/ *"description": .*\n/g, ''));
  });
}

for (const file of malformed) {
  const name = file.slice(root.length + 1);
  test(`malformed ${name} gives the CLI's exact error, not an abort`, () => {
    const native = runCli(['analyze', file]);
    const wasm = engine.analyze(readFileSync(file, 'utf8'));
    assert.equal(native.code, 2);
    assert.equal(wasm.exitCode, 2);
    assert.equal(wasm.output, '');
    assert.equal(`convscope: ${wasm.error}\n`, native.stderr);
    assert.match(wasm.error, /^(line \d+, column \d+|[a-z_]+(\[\d+\])?(\.[a-z_]+)?(\[\d+\])?)[:]/);
  });
}

test('hostile input never aborts the module, and it keeps working afterwards', () => {
  const hostile = [
    '', ' ', '{', 'null', '[]', '"x"', '{"framework":"pytorch"}',
    '{"framework":"pytorch","input":[1,3,8,8],"layers":[' + '{"type":"relu"},'.repeat(2500) + '{"type":"relu"}]}',
    '['.repeat(100000),
    '{"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"conv","filters":1,"kernel":3,"name":"' + 'A'.repeat(100000) + '"}]}',
    '{"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"conv","filters":1,"kernel":99999999999999999999999}]}',
    '{"framework":"pytorch","input":[1,2147483647,2147483647,2147483647],"layers":[{"type":"conv","filters":2147483647,"kernel":1}]}',
    '\u0000\u0001\u0002', '\ud800', 'x'.repeat(5 * 1024 * 1024),
  ];
  for (const text of hostile) {
    const r = engine.analyze(text);
    assert.ok([0, 1, 2].includes(r.exitCode));
    if (r.exitCode === 2) assert.ok(r.error.length > 0 && r.error.length < 400, r.error);
  }
  for (const hash of ['#', '#v=2', '#v=1&fw=pytorch&in=1x3x8x8&l=conv:k' + '9'.repeat(50), '#' + '%'.repeat(20000)]) {
    const r = engine.decodeShareLink(hash);
    assert.equal(r.exitCode, 2);
    assert.ok(r.error.length < 400);
  }
  const ok = engine.analyze(readFileSync(join(root, 'examples', 'lenet5.json'), 'utf8'));
  assert.equal(ok.exitCode, 0);
});

test('the layer schema lists every layer type with per-framework names', () => {
  const schema = JSON.parse(engine.layerSchema());
  assert.deepEqual(schema.frameworks.map((f) => f.id), ['pytorch', 'tensorflow', 'onnx']);
  const conv = schema.types.find((t) => t.type === 'conv');
  assert.equal(conv.fields.find((f) => f.field === 'kernel').names.pytorch, 'kernel_size');
  assert.equal(conv.fields.find((f) => f.field === 'kernel').names.onnx, 'kernel_shape');
  assert.ok(schema.types.length >= 17);
});

test('module sizes are reported against the 250 KB budget of the shape engine', (t) => {
  for (const name of ['convscope-shapes', 'convscope']) {
    const bytes = statSync(join(dist, `${name}.wasm`)).size;
    t.diagnostic(`${name}.wasm: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
    assert.ok(bytes > 10000);
  }
});

test('malformed input gets the same message from both modules', () => {
  for (const file of malformed) {
    const text = readFileSync(file, 'utf8');
    assert.deepEqual({ ...shapes.analyze(text) }, { ...engine.analyze(text) });
  }
});
