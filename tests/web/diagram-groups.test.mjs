// The diagram's grouping and path helpers and the editor's graph edits in
// plain Node, on reports of the real engine (dist/convscope-shapes.js):
// blocks by name prefix, the levels opened for a big graph, a failing merge's
// paths back to its split, and shortcut insertion / guarded removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findGroups, expandedGroups, collapsedAt, tracePaths, COLLAPSE_ABOVE } from '../../web/diagram-groups.js';
import { insertMerge, removeLayer, readersOf } from '../../web/graph-edit.js';
import { inputIndexes } from '../../web/format.js';
import { ROOT, DIST_DIR } from './server.mjs';

const { default: createConvScope } = await import(pathToFileURL(path.join(DIST_DIR, 'convscope-shapes.js')).href);
const engine = await createConvScope({ wasmBinary: fs.readFileSync(path.join(DIST_DIR, 'convscope-shapes.wasm')) });

function run(network) {
  const r = engine.analyze(JSON.stringify(network));
  return { exitCode: Number(r.exitCode), error: String(r.error), report: Number(r.exitCode) < 2 ? JSON.parse(String(r.output)) : null };
}
const preset = (id) => JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', `${id}.json`), 'utf8'));

test('blocks are runs of layers sharing a name prefix; single layers and copies of the parent are none', () => {
  const { report } = run(preset('resnet18'));
  const { groups, chains } = findGroups(report.layers);
  const byPrefix = new Map(groups.map((g) => [g.prefix, g]));
  for (const stage of ['layer1', 'layer2', 'layer3', 'layer4']) {
    const g = byPrefix.get(stage);
    assert.ok(g, stage);
    assert.equal(g.depth, 0);
    for (let i = g.start; i <= g.end; i += 1) assert.ok(report.layers[i].name.startsWith(`${stage}.`), `${report.layers[i].name} in ${stage}`);
    assert.ok(!report.layers[g.end + 1]?.name.startsWith(`${stage}.`), `${stage} ends where its names end`);
  }
  const block = byPrefix.get('layer2.0');
  assert.equal(block.parent, byPrefix.get('layer2'));
  assert.equal(block.depth, 1);
  assert.equal(block.label, 'layer2.0');
  for (const g of groups) assert.ok(g.end > g.start, `${g.prefix} holds more than one layer`);
  // Each layer's chain lists its blocks outermost first.
  const i = report.layers.findIndex((l) => l.name.startsWith('layer2.0.'));
  assert.deepEqual(chains[i].map((g) => g.prefix), ['layer2', 'layer2.0']);
  // ONNX-style paths: the `/layer1/layer1` prefix holds exactly /layer1's layers, so it is no block of its own.
  const onnx = ['/conv1/Conv', '/layer1/layer1.0/conv1/Conv', '/layer1/layer1.0/Add', '/layer1/layer1.1/conv1/Conv', '/layer1/layer1.1/Add', '/fc/Gemm'].map((name) => ({ name }));
  assert.deepEqual(findGroups(onnx).groups.map((g) => [g.prefix, g.label, g.start, g.end, g.depth]),
    [['/layer1', 'layer1', 1, 4, 0], ['/layer1/layer1.0', 'layer1.0', 1, 2, 1], ['/layer1/layer1.1', 'layer1.1', 3, 4, 1]]);
  // Keras joins with '_'; automatic names of interleaved types make no block.
  const keras = ['conv1_conv', 'conv1_relu', 'conv2_block1_1_conv', 'conv2_block1_1_relu', 'conv2_block1_add', 'conv2_block2_1_conv', 'conv2_block2_add', 'conv2d', 'batch_normalization', 'conv2d_1', 'batch_normalization_1'].map((name) => ({ name }));
  assert.deepEqual(findGroups(keras).groups.map((g) => [g.label, g.start, g.end]),
    [['conv1', 0, 1], ['conv2', 2, 6], ['conv2_block1', 2, 4], ['conv2_block1_1', 2, 3], ['conv2_block2', 5, 6]]);
});

test('a small graph draws every layer; a big one opens whole levels while it stays within the limit, and always what must show', () => {
  const { report } = run(preset('unet_padded'));
  assert.ok(report.layers.length <= COLLAPSE_ABOVE);
  const small = findGroups(report.layers);
  const all = expandedGroups(report.layers, small, [], new Map());
  assert.equal(all.size, small.groups.length, 'nothing collapsed');
  // 3 stages x 4 blocks x 8 layers = 96 layers: the stages open (12 blocks), the blocks stay shut (96 > 60).
  const layers = [];
  for (let s = 0; s < 3; s += 1) for (let b = 0; b < 4; b += 1) for (let l = 0; l < 8; l += 1) layers.push({ name: `s${s}.b${b}.l${l}` });
  const big = findGroups(layers);
  const open = expandedGroups(layers, big, [], new Map());
  assert.deepEqual([...open].sort(), ['s0@0', 's1@32', 's2@64']);
  const drawn = new Set(layers.map((_, i) => collapsedAt(big.chains, open, i)?.key ?? i));
  assert.equal(drawn.size, 12);
  // A failing layer's blocks open; a user's choice wins over both.
  const forced = expandedGroups(layers, big, [40], new Map([['s2@64', false]]));
  assert.ok(forced.has('s1.b1@40'));
  assert.ok(!forced.has('s2@64'));
});

test('a failing merge\'s paths: every layer from the split to each of its inputs, and the edges between them', () => {
  const { report } = run(preset('unet_padded'));
  const sources = inputIndexes(report);
  const { nodes, edges } = tracePaths(report.layers, sources);
  const at = (name) => report.layers.findIndex((l) => l.name === name);
  const cat3 = report.layers.find((l) => l.status === 'error');
  assert.equal(cat3.name, 'cat3');
  const split = at(cat3.trace.split);
  for (const name of [cat3.trace.split, 'pool3', 'up3', 'cat3', ...cat3.trace.branches.flatMap((b) => b.steps.map((s) => s.layer))]) {
    assert.ok(nodes.has(at(name)), `${name} on a path`);
  }
  for (const i of nodes) {
    if (i === cat3.index) continue;
    assert.ok(i >= split && i < cat3.index, `${report.layers[i].name} lies between the split and the merge`);
  }
  assert.ok(!nodes.has(at('pool1')) && !nodes.has(at('dec3.conv1')));
  assert.ok(edges.has(`${split}>${cat3.index}`), 'the direct skip');
  assert.ok(edges.has(`${split}>${at('pool3')}`) && edges.has(`${at('up3')}>${cat3.index}`));
  for (const e of edges) {
    const [a, b] = e.split('>').map(Number);
    assert.ok(sources[b].includes(a), `${e} is an edge of the graph`);
  }
  // A valid network has no paths to draw.
  assert.equal(tracePaths(run(preset('resnet18')).report.layers, inputIndexes(run(preset('resnet18')).report)).nodes.size, 0);
});

test('graph edits: a shortcut after a layer is read by the layer below; removal rewires readers to the removed layer\'s first input', () => {
  const network = {
    framework: 'pytorch', input: [1, 8, 8, 8],
    layers: [{ type: 'conv', filters: 8, kernel: 3, padding: 1 }, { type: 'conv', filters: 8, kernel: 3, padding: 1 }, { type: 'relu' }],
  };
  const names = run(network).report.layers.map((l) => l.name);
  const withAdd = structuredClone(network);
  const made = insertMerge(withAdd, names, 1, 0, 'add');
  assert.equal(made, `${names[1]}_add`);
  assert.deepEqual(withAdd.layers[2], { type: 'add', name: made, inputs: [names[1], names[0]] });
  assert.equal(withAdd.layers[0].name, names[0], 'referenced layers keep their engine names');
  const after = run(withAdd).report;
  assert.equal(after.layers[3].inputs[0], made, 'the relu below reads the add');
  assert.ok(after.layers.every((l) => l.status === 'ok'));
  // A second shortcut on the same layer gets a fresh name.
  assert.equal(insertMerge(structuredClone(withAdd), names.slice(0, 2).concat([made], names.slice(2)), 1, -1, 'concat'), `${names[1]}_cat`);
  assert.equal(insertMerge(withAdd, names.slice(0, 2).concat([made], names.slice(2)), 1, 0, 'add'), `${names[1]}_add_2`);

  const tree = preset('resnet18');
  const treeNames = run(tree).report.layers.map((l) => l.name);
  const conv = treeNames.indexOf('layer1.0.bn2');
  assert.deepEqual(readersOf(tree, treeNames, conv).map((k) => treeNames[k]), ['layer1.0.add']);
  const broken = structuredClone(tree);
  removeLayer(broken, treeNames, conv, { rewire: false });
  assert.match(run(broken).error, /no layer is named "layer1\.0\.bn2"/);
  const rewired = structuredClone(tree);
  removeLayer(rewired, treeNames, conv, { rewire: true });
  const check = run(rewired);
  assert.equal(check.exitCode, 0, check.error);
  assert.deepEqual(check.report.layers.find((l) => l.name === 'layer1.0.add').inputs, ['layer1.0.conv2', 'maxpool']);
});
