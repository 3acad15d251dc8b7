// `convscope compare` (issue 16) against the real frameworks.
//
// For networks known to part between PyTorch, TensorFlow/Keras and ONNX (and
// some that mean the same in all three), `convscope compare` ports each to
// the other two frameworks and says which rows differ. Here every port runs
// in its real framework — PyTorch 1.13 (Debian, run_pytorch.py), ONNX Runtime
// (onnxruntime-node on models built by python3-onnx) and TensorFlow semantics
// on tfjs (run_tfjs.mjs) — and must:
//   1. agree with ConvScope's analysis of that port, layer by layer, as the
//      conformance suite compares cases (compare.mjs: shapes, the failing
//      layer, the error text; known version differences by versions.json);
//   2. fail first at the row compare says it fails in that framework, so a
//      "verdict" difference is one the real frameworks show, and rows said to
//      agree really do (ONNX Runtime running a node the ONNX spec rejects
//      counts as running, as compare reports it);
//   3. for the networks that part, part where this file says they do (pinned);
//      the networks that mean the same report no difference.
//
// Run: node --test tests/conformance/compare_frameworks.test.mjs (needs
// build/convscope and Debian's /usr/bin/python3 with torch and onnx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { analyze, compareCase, loadVersions } from './compare.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = process.env.CONVSCOPE_CLI || join(root, 'build', 'convscope');
const python = process.env.CONVSCOPE_PYTHON || '/usr/bin/python3';
const out = join(root, 'test-output', 'compare-frameworks');
const FRAMEWORKS = ['pytorch', 'tensorflow', 'onnx'];  // the columns' order

// Networks known to part, with the row and what differs there.
const PARTING = {
  'pytorch-same-strided': {
    network: { framework: 'pytorch', input: [1, 3, 9, 9], layers: [
      { type: 'conv', name: 'c', filters: 4, kernel: 3, stride: 2, padding: 'same' }] },
    differs: { c: ['verdict'] },
  },
  'window-longer-than-input-stride-2': {
    network: { framework: 'pytorch', input: [1, 3, 4, 4], layers: [
      { type: 'max_pool', name: 'p', kernel: 5, stride: 2 }] },
    differs: { p: ['verdict'] },
  },
  'pool-padding-above-half-window': {
    network: { framework: 'onnx', input: [1, 3, 8, 8], layers: [
      { type: 'max_pool', name: 'p', kernel: 3, stride: 1, padding: 2 }] },
    differs: { p: ['verdict'] },
  },
  'onnx-same-dilated-pool': {
    network: { framework: 'onnx', input: [1, 3, 9, 9], layers: [
      { type: 'max_pool', name: 'p', kernel: 2, stride: 1, dilation: 2, padding: 'same' }] },
    differs: { p: ['warning'] },
  },
  'keras-strided-dilated': {
    network: { framework: 'tensorflow', input: [1, 16, 16, 3], layers: [
      { type: 'conv', name: 'c', filters: 4, kernel: 3, stride: 2, dilation: 2 }] },
    differs: { c: ['verdict'] },
  },
  // The preset made for the page's Compare frameworks view.
  'example-port_same_strided': {
    network: JSON.parse(readFileSync(join(root, 'examples', 'port_same_strided.json'), 'utf8')),
    differs: { conv2: ['verdict'] },
  },
  // x.view(-1, 400) of 800 values per sample: PyTorch and ONNX double the
  // batch (a warning); Keras' Reshape keeps the batch and refuses.
  'view-infers-the-batch': {
    network: { framework: 'pytorch', input: [1, 16, 5, 10], layers: [
      { type: 'reshape', name: 'v', shape: [400], batch: 'infer' }] },
    differs: { v: ['verdict'] },
  },
  'onnx-same-dilated-conv': {
    network: { framework: 'onnx', input: [1, 3, 16, 16], layers: [
      { type: 'conv', name: 'c', filters: 4, kernel: 3, dilation: 2, padding: 'same' }] },
    differs: { c: ['verdict'] },
  },
};

// Networks that mean the same in all three: even-kernel 'same' pooling with
// stride 2 at an odd size, a ceil-mode pool whose last window would start in
// the padding, Keras 'same' transposed convs, concats (NCHW dim 1 = NHWC -1),
// and graph examples.
const AGREEING = {
  'even-kernel-same-pool-stride-2': { framework: 'tensorflow', input: [1, 7, 7, 3], layers: [
    { type: 'max_pool', kernel: 2, stride: 2, padding: 'same' }, { type: 'conv', filters: 4, kernel: 3 }] },
  'ceil-mode-last-window-in-padding': { framework: 'pytorch', input: [1, 3, 5, 5], layers: [
    { type: 'max_pool', kernel: 2, stride: 2, padding: 1, ceil_mode: true }] },
  'keras-same-transposed': { framework: 'tensorflow', input: [1, 5, 5, 8], layers: [
    { type: 'conv_transpose', filters: 4, kernel: 3, stride: 2, padding: 'same' }] },
  'concat-of-branches': { framework: 'pytorch', input: [1, 3, 12, 12], layers: [
    { type: 'conv', name: 'a', filters: 4, kernel: 3, padding: 1 },
    { type: 'conv', name: 'b', filters: 6, kernel: 1, inputs: ['input'] },
    { type: 'concat', name: 'cat', inputs: ['a', 'b'] }] },
  // A DCGAN-style head: a dense output viewed as [64, 7, 7] (Keras: (7, 7, 64)) before a conv.
  'dense-viewed-as-a-map': { framework: 'pytorch', input: [1, 8, 1, 1], layers: [
    { type: 'flatten' }, { type: 'dense', units: 3136 }, { type: 'reshape', shape: [64, 7, 7] },
    { type: 'conv', filters: 32, kernel: 3, padding: 1 }] },
  unet_padded: JSON.parse(readFileSync(join(root, 'examples', 'unet_padded.json'), 'utf8')),
  inception_block: JSON.parse(readFileSync(join(root, 'examples', 'inception_block.json'), 'utf8')),
  conv2d_3: JSON.parse(readFileSync(join(root, 'examples', 'conv2d_3.json'), 'utf8')),
};

function compareCli(network) {
  const r = spawnSync(cli, ['compare', '-'], { input: JSON.stringify(network), encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `convscope compare exited ${r.status}: ${r.stderr}`);
  return { exit: r.status, report: JSON.parse(r.stdout) };
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, cwd: root });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Each framework's runner over the ports written for it: id -> result.
function runPorts(framework, cases) {
  mkdirSync(out, { recursive: true });
  const file = join(out, `cases-${framework}.json`);
  writeFileSync(file, JSON.stringify(cases));
  let ran;
  if (framework === 'pytorch') ran = run(python, [join(here, 'run_pytorch.py'), file]);
  else if (framework === 'tensorflow') ran = run(process.execPath, [join(here, 'run_tfjs.mjs'), file]);
  else {
    const models = join(out, 'onnx-models');
    rmSync(models, { recursive: true, force: true });
    spawnSync(python, [join(here, 'build_onnx.py'), file, models], { cwd: root, stdio: 'inherit' });
    ran = run(process.execPath, [join(here, 'run_onnxruntime.mjs'), file, models]);
  }
  return { ran, byId: new Map(ran.results.map((r) => [r.id, r])) };
}

const all = { ...Object.fromEntries(Object.entries(PARTING).map(([k, v]) => [k, v.network])), ...AGREEING };
const compared = Object.fromEntries(Object.entries(all).map(([name, net]) => [name, compareCli(net)]));
const versions = loadVersions(join(here, 'versions.json'));

// The port of `name` for framework index k, as a conformance case.
function portCase(name, k) {
  const network = compared[name].report.frameworks[k].network;
  const graph = network.layers.some((l) => l.inputs);
  return { id: name, category: graph ? 'graph' : 'chain', graph, rank: network.input.length - 2, network };
}

// The source row of a port's layer (its extra layers map to the row they serve).
const rowOf = (report, k, portLayer) => report.frameworks[k].source_rows[portLayer];

// compare's own answer: the first row failing in framework k (ONNX Runtime
// running a node the spec rejects does not fail, refusing one the spec
// accepts does); null when none; undefined
// when ONNX Runtime ran past such a node (its later sizes are its own).
function predictedFirst(report, k) {
  for (const [i, r] of report.rows.entries()) {
    const cell = r.cells[k];
    if (cell.runtime_runs) return i === report.rows.length - 1 ? null : undefined;
    if (cell.status === 'error' || cell.runtime_refuses) return i;
  }
  return null;
}

const results = Object.fromEntries(FRAMEWORKS.map((f, k) => [f, runPorts(f, Object.keys(all).map((n) => portCase(n, k)))]));

for (const [k, framework] of FRAMEWORKS.entries()) {
  test(`every port to ${framework} agrees with the real framework, layer by layer`, async () => {
    for (const name of Object.keys(all)) {
      const kase = portCase(name, k);
      const result = results[framework].byId.get(name);
      assert.ok(result, `${framework}: no result for ${name}`);
      if (result.skipped) continue;
      const report = await analyze(cli, kase.network);
      const o = compareCase(framework, kase, result, report, versions, { texts: results[framework].ran.texts !== false });
      assert.notEqual(o.verdict, 'differ', `${name} in ${framework}: ${o.why}`);
    }
  });

  test(`${framework} fails first where compare says it does`, () => {
    for (const name of Object.keys(all)) {
      const { report } = compared[name];
      const result = results[framework].byId.get(name);
      if (result.skipped) continue;
      const expected = predictedFirst(report, k);
      if (expected === undefined) continue;
      const real = result.error ? rowOf(report, k, result.error.index) : null;
      assert.equal(real, expected, `${name}: ${framework} really fails at row ${real}, compare says ${expected}`);
    }
  });
}

test('the networks known to part, part where expected; the others report no difference', () => {
  for (const [name, { differs }] of Object.entries(PARTING)) {
    const { exit, report } = compared[name];
    assert.equal(exit, 1, `${name}: compare exits 1 when rows differ`);
    const got = Object.fromEntries(report.rows.filter((r) => r.differs.length).map((r) => [r.name, r.differs]));
    assert.deepEqual(got, differs, name);
    for (const r of report.rows.filter((x) => x.differs.length)) assert.match(r.rule, /PyTorch.*: .*->/, `${name}: ${r.rule}`);
  }
  for (const name of Object.keys(AGREEING)) {
    const { exit, report } = compared[name];
    assert.equal(report.differences, 0, `${name}: ${JSON.stringify(report.rows.filter((r) => r.differs.length))}`);
    assert.equal(exit, 0);
  }
});

test('a verdict difference is one the real frameworks show', () => {
  for (const name of Object.keys(PARTING)) {
    const { report } = compared[name];
    for (const row of report.rows.filter((r) => r.differs.includes('verdict'))) {
      const failsHere = FRAMEWORKS.map((f, k) => {
        const result = results[f].byId.get(name);
        if (!result.error) return false;
        return rowOf(report, k, result.error.index) === row.index;
      });
      assert.ok(failsHere.some(Boolean) && !failsHere.every(Boolean),
        `${name}/${row.name}: the real frameworks ${failsHere.some(Boolean) ? 'all fail' : 'all run'} there`);
    }
  }
});
