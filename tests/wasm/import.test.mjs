// Import and export in the WASM module: every import fixture (text, and ONNX
// bytes from the fuzz corpus) gives the same network JSON, notes and errors
// as the native CLI, and the exported code is the CLI's byte for byte.
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

const fixtures = join(root, 'tests', 'fixtures', 'import');
const files = [
  ...readdirSync(fixtures).map((f) => join(fixtures, f)),
  join(root, 'fuzz', 'corpus', 'import_fuzz', 'small_cnn.onnx'),
];

const runCli = (args) => spawnSync(cli, args, { encoding: 'utf8' });
const notesOf = (stderr) =>
  stderr.split('\n').filter((l) => l.startsWith('convscope: note: ')).map((l) => l.slice(17));

test('there are import fixtures of every format', () => {
  assert.ok(files.some((f) => f.endsWith('.onnx')));
  assert.ok(files.filter((f) => f.includes('error_')).length >= 15);
  assert.ok(files.some((f) => f.includes('pytorch_')) && files.some((f) => f.includes('keras')));
});

for (const file of files) {
  const name = file.slice(root.length + 1);
  // ONNX goes in as bytes (a Uint8Array becomes the std::string's bytes); text as a string.
  const input = file.endsWith('.onnx') ? new Uint8Array(readFileSync(file)) : readFileSync(file, 'utf8');

  test(`importText(${name}) matches convscope import`, () => {
    const native = runCli(['import', file]);
    const wasm = engine.importText(input, '', '');
    assert.equal(wasm.exitCode, native.status);
    if (native.status === 0) {
      assert.equal(wasm.output, native.stdout);
      assert.deepEqual(JSON.parse(wasm.extras), notesOf(native.stderr));
    } else {
      assert.equal(`convscope: ${wasm.error}\n`, native.stderr);
    }
  });

  test(`exportCode(${name}) matches convscope export`, () => {
    const imported = engine.importText(input, '', '');
    if (imported.exitCode !== 0) return;
    for (const target of ['pytorch', 'keras']) {
      const wasm = engine.exportCode(imported.output, target);
      const native = runCli(['export', `--${target}`, file]);
      assert.equal(wasm.exitCode, 0, wasm.error);
      assert.equal(native.status, 0, native.stderr);
      assert.equal(wasm.output, native.stdout);
      // A chain is Sequential code; a graph (branches, merges) an nn.Module
      // with a forward() or Keras' functional API, in the module and the CLI alike.
      const graph = JSON.parse(imported.output).layers.some((l) => l.inputs !== undefined);
      const form = target === 'pytorch' ? /\nclass Model\(nn\.Module\):\n/ : /\nmodel = keras\.Model\(inputs=inputs, outputs=/;
      assert.match(wasm.output, graph ? form : /Sequential\(/);
    }
  });
}

test('a pasted message analyses in the module as in the CLI', () => {
  const file = join(fixtures, 'error_tf2_graph_conv2d_3.txt');
  const imported = engine.importText(readFileSync(file, 'utf8'), '', '');
  const report = engine.analyze(imported.output);
  assert.equal(report.exitCode, 1);
  assert.equal(report.output, runCli(['analyze', file]).stdout);
  assert.match(JSON.parse(report.output).layers[0].framework_error, /^Negative dimension size caused by subtracting 5 from 4/);
});

// model.summary() cross-checks: each summary fixture against the network
// fixture it was printed for (and one printed for another model).
const summaryPairs = [
  ['keras2_functional.json', 'keras2_summary_functional.txt'],
  ['keras2_functional.json', 'keras2_summary_functional_tf28.txt'],
  ['keras2_functional.json', 'keras2_summary_functional_wrong.txt'],
  ['keras3_sequential.json', 'keras3_summary_sequential.txt'],
  ['keras3_functional_conv1d.json', 'keras3_summary_functional_conv1d.txt'],
];

test('every summary fixture has a network to be checked against', () => {
  const summaries = readdirSync(fixtures).filter((f) => /^keras[23]_summary_.*\.txt$/.test(f));
  assert.deepEqual(summaries.sort(), summaryPairs.map(([, s]) => s).sort());
});

for (const [network, summary] of summaryPairs) {
  test(`checkSummary(${network}, ${summary}) matches convscope check-summary --json`, () => {
    const networkFile = join(fixtures, network);
    const summaryFile = join(fixtures, summary);
    const native = runCli(['check-summary', '--json', networkFile, summaryFile]);
    const wasm = engine.checkSummary(readFileSync(networkFile, 'utf8'), readFileSync(summaryFile, 'utf8'));
    assert.equal(wasm.exitCode, native.status);
    assert.equal(wasm.exitCode, summary.includes('_wrong') ? 1 : 0);
    assert.equal(wasm.output, native.stdout);
    assert.deepEqual(JSON.parse(wasm.extras), notesOf(native.stderr));
  });
}

test('a cut-short summary gives the CLI\'s message in the module', () => {
  const networkFile = join(fixtures, 'keras3_sequential.json');
  const cut = readFileSync(join(fixtures, 'keras3_summary_sequential.txt'), 'utf8').slice(0, 600);
  const wasm = engine.checkSummary(readFileSync(networkFile, 'utf8'), cut);
  assert.equal(wasm.exitCode, 2);
  const native = spawnSync(cli, ['check-summary', networkFile, '-'], { input: cut, encoding: 'utf8' });
  assert.equal(native.status, 2);
  assert.equal(`convscope: ${wasm.error}\n`, native.stderr);
  assert.equal(wasm.extras, 'summary', 'the text is flagged as a summary, so the page shows this message');
  assert.equal(engine.checkSummary(readFileSync(networkFile, 'utf8'), 'hello').extras, '', 'and other text is not');
});

test('bad input gives the message, never an abort', () => {
  for (const bad of ['', 'nonsense', 'Net(\n  (a): Conv2d(3', new Uint8Array([8, 7, 0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f])]) {
    const r = engine.importText(bad, '', '');
    assert.equal(r.exitCode, 2);
    assert.ok(r.error.length > 0);
  }
  assert.equal(engine.importText('x', '1x2', '').exitCode, 2);
  assert.equal(engine.exportCode('{}', 'caffe').exitCode, 2);
  assert.equal(engine.checkSummary('', '').exitCode, 2);
  assert.equal(engine.checkSummary('{}', '\u2502 a \u2502').exitCode, 2);
});
