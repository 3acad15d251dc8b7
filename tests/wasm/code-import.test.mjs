// Pasted model code through the WASM module: importText takes the model to
// read as an optional fourth argument and returns the format read, the
// models the code defines and the one read; a network's layer sources go
// through analyze (each row's `source`) and stay out of share links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.DIST_DIR || join(root, 'dist');
const cli = process.env.CONVSCOPE_CLI || join(root, 'build', 'convscope');

const { default: createConvScope } = await import(pathToFileURL(join(dist, 'convscope.js')).href);
const engine = await createConvScope({ wasmBinary: readFileSync(join(dist, 'convscope.wasm')) });
const { default: createShapes } = await import(pathToFileURL(join(dist, 'convscope-shapes.js')).href);
const shapes = await createShapes({ wasmBinary: readFileSync(join(dist, 'convscope-shapes.wasm')) });

const CODE_FILE = join(root, 'tests', 'fixtures', 'sources', 'small_unet_nopad.py');
const NETWORK_FILE = join(root, 'tests', 'fixtures', 'sources', 'small_unet_nopad.json');
const networkText = readFileSync(NETWORK_FILE, 'utf8');
// PyTorch 1.13 on small_unet_nopad.py at 1x3x100x100: torch.cat on line 44 raises
const TORCH_TEXT = 'Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list.';

test('importText takes three arguments or four (the model to read), with the same result for a network', () => {
  const three = engine.importText(networkText, '', '');
  const four = engine.importText(networkText, '', '', '');
  assert.equal(three.exitCode, 0, three.error);
  assert.deepEqual({ ...four }, { ...three });
  assert.equal(three.format, 'contract_json');
  assert.deepEqual(JSON.parse(three.models), []);
  assert.equal(three.model, '');
  // The network keeps every layer's source, as the CLI writes it.
  const native = spawnSync(cli, ['import', NETWORK_FILE], { encoding: 'utf8' });
  assert.equal(native.status, 0, native.stderr);
  assert.equal(three.output, native.stdout);
  const imported = JSON.parse(three.output);
  assert.deepEqual(imported.layers.map((l) => l.source), JSON.parse(networkText).layers.map((l) => l.source));
});

test('the format is the importer\'s own name for what it read', () => {
  const link = engine.encodeShareLink(networkText, '[]');
  assert.equal(link.exitCode, 0, link.error);
  assert.equal(engine.importText(`#${link.output}`, '', '', '').format, 'share_link');
  const printed = readFileSync(join(root, 'tests', 'fixtures', 'import', 'pytorch_alexnet.txt'), 'utf8');
  assert.equal(engine.importText(printed, '', '', '').format, 'pytorch_repr');
});

test('the first-view module (convscope-shapes) has no importer, and its Result has no import fields', () => {
  assert.equal(shapes.importText, undefined);
  const r = shapes.analyze(networkText);
  assert.equal(r.exitCode, 1);
  assert.deepEqual(Object.keys(r).sort(), ['error', 'exitCode', 'extras', 'output']);
});

test('analyze puts each layer\'s source in its row, and the lines in the failing cat\'s trace, byte for byte as the CLI', () => {
  const wasm = engine.analyze(networkText);
  const native = spawnSync(cli, ['analyze', NETWORK_FILE], { encoding: 'utf8' });
  assert.equal(wasm.exitCode, 1);
  assert.equal(wasm.output, native.stdout);
  const report = JSON.parse(wasm.output);
  const cat = report.layers[report.first_error];
  assert.equal(cat.name, 'cat');
  assert.deepEqual(cat.source, { line: 44, code: 'x = torch.cat([x3, x], dim=1)' });
  assert.equal(cat.framework_error, TORCH_TEXT);
  assert.match(cat.trace.text, /pool_2 \(line 42\) floors it to 12, up1 \(line 43\) doubles it to 24/);
  assert.ok(report.layers.every((l) => l.source && l.source.line > 0));
});

test('share links leave the sources out; decoding one gives the network without them', () => {
  const link = shapes.encodeShareLink(networkText, '[]');
  assert.equal(link.exitCode, 0, link.error);
  assert.doesNotMatch(link.output, /torch\.cat|source/);
  const decoded = JSON.parse(shapes.decodeShareLink(link.output).output);
  assert.ok(decoded.layers.every((l) => l.source === undefined));
});

test('a source the importer did not write is refused with its path', () => {
  const bad = JSON.parse(networkText);
  bad.layers[3].source = { line: 0, code: 'x' };
  assert.equal(engine.analyze(JSON.stringify(bad)).error, 'layers[3].source.line: expected a positive integer, got 0');
  bad.layers[3].source = { line: 3, code: 'y'.repeat(201) };
  assert.match(engine.analyze(JSON.stringify(bad)).error, /^layers\[3\]\.source\.code: longer than 200 characters/);
});

// Pasted code: needs the code reader in the core (Format::python_code).
const reader = engine.importText(readFileSync(CODE_FILE, 'utf8'), '1x3x100x100', '', '');

test('pasted U-Net code: the models it defines, the one read, each layer\'s line', () => {
  assert.equal(reader.exitCode, 0, reader.error);
  assert.equal(reader.format, 'python_code');
  const models = JSON.parse(reader.models);
  assert.ok(models.includes('SmallUNet') && models.includes('DoubleConv'), reader.models);
  assert.equal(reader.model, 'SmallUNet');
  const network = JSON.parse(reader.output);
  assert.ok(network.layers.every((l) => l.source && l.source.line > 0 && l.source.code.length > 0));
  const report = JSON.parse(engine.analyze(reader.output).output);
  const failing = report.layers[report.first_error];
  assert.equal(failing.type, 'concat');
  assert.deepEqual(failing.source, { line: 44, code: 'x = torch.cat([x3, x], dim=1)' });
  assert.equal(failing.framework_error, TORCH_TEXT);
  // A model the code never builds with arguments cannot be read on its own: the error says so.
  const block = engine.importText(readFileSync(CODE_FILE, 'utf8'), '1x3x100x100', '', 'DoubleConv');
  assert.equal(block.exitCode, 2);
  assert.match(block.error, /DoubleConv\.__init__\(\) missing required argument 'in_channels' — the code never makes a DoubleConv/);
  // A model the code does not define is named in the error, with the ones it does.
  const missing = engine.importText(readFileSync(CODE_FILE, 'utf8'), '1x3x100x100', '', 'NoSuchNet');
  assert.equal(missing.exitCode, 2);
  assert.match(missing.error, /"NoSuchNet" \(its classes: DoubleConv, SmallUNet\)/);
});

// The output shape real PyTorch gives model class `name` of `file` at `shape`.
function torchOutput(file, name, shape) {
  const script = `import runpy, sys, torch
ns = runpy.run_path(sys.argv[1], run_name='convscope_test')
print(list(ns[sys.argv[2]]()(torch.zeros(${shape.join(', ')})).shape))`;
  const run = spawnSync('/usr/bin/python3', ['-c', script, file, name], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test('the model to read: the one the code makes, or another by name, each with PyTorch\'s output', () => {
  const file = join(root, 'tests', 'fixtures', 'sources', 'two_models.py');
  const code = readFileSync(file, 'utf8');
  const made = engine.importText(code, '1x3x32x32', '');
  assert.equal(made.exitCode, 0, made.error);
  assert.deepEqual(JSON.parse(made.models), ['Small', 'Big']);
  assert.equal(made.model, 'Big');
  const small = engine.importText(code, '1x3x32x32', '', 'Small');
  assert.equal(small.exitCode, 0, small.error);
  assert.equal(small.model, 'Small');
  assert.deepEqual(JSON.parse(small.models), ['Small', 'Big']);
  for (const [r, name] of [[made, 'Big'], [small, 'Small']]) {
    const report = JSON.parse(engine.analyze(r.output).output);
    assert.deepEqual(report.totals.output, torchOutput(file, name, [1, 3, 32, 32]), name);
  }
  // Small's layers come from Small's forward (line 13), Big's from Big's.
  assert.ok(JSON.parse(small.output).layers.every((l) => l.source.line === 13));
  assert.ok(JSON.parse(made.output).layers.every((l) => l.source.line >= 24));
});
