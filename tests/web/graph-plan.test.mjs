// The preview plan and the graph ops in plain Node: each step reads its
// inputs by name (the report's `inputs`), merges broadcast and concatenate on
// typed arrays (NHWC, one image), every layer without a map has a reason, and
// the page's graph helpers read the report alone. Reports come from the real
// engine (dist/convscope-shapes.js) on every preset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPlan, CAPS } from '../../web/preview-plan.js';
import { elementwise, concat, padOrCrop, upsampleNearest, channelShuffle, channelSplit, reshape } from '../../web/preview-ops.js';
import { inputIndexes, isGraph } from '../../web/format.js';
import { ROOT, DIST_DIR } from './server.mjs';

const { default: createConvScope } = await import(pathToFileURL(path.join(DIST_DIR, 'convscope-shapes.js')).href);
const engine = await createConvScope({ wasmBinary: fs.readFileSync(path.join(DIST_DIR, 'convscope-shapes.wasm')) });
const schema = JSON.parse(engine.layerSchema());
const LAYOUT = { pytorch: 'NCHW', onnx: 'NCHW', tensorflow: 'NHWC' };

function analyze(network) {
  const r = engine.analyze(JSON.stringify(network));
  assert.ok(Number(r.exitCode) < 2, String(r.error));
  return JSON.parse(String(r.output));
}
const preset = (id) => JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', `${id}.json`), 'utf8'));
const planOf = (network, caps = CAPS) => buildPlan(network, analyze(network), LAYOUT[network.framework], schema, caps);
const presets = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'index.json'), 'utf8'));

test('every preset: each step reads the maps its report inputs name, and a layer without a map has a reason', () => {
  for (const { id } of presets) {
    const network = preset(id);
    const report = analyze(network);
    const plan = buildPlan(network, report, LAYOUT[network.framework], schema);
    assert.ok(plan.supported, id);
    const index = new Map(report.layers.map((l) => [l.name, l.index]));
    plan.steps.forEach((step, i) => {
      const row = report.layers[i];
      assert.deepEqual(step.inputs, row.inputs.map((n) => (n === 'input' ? -1 : index.get(n))), `${id}: ${row.name} reads its named inputs`);
      for (const r of step.reads) assert.ok(r < i, `${id}: ${row.name} reads only earlier maps`);
      const ok = row.status === 'ok' || row.status === 'warning';
      if (step.compute) {
        assert.ok(ok, `${id}: ${row.name} is valid`);
        for (const r of step.reads) assert.ok(r < 0 || plan.steps[r].compute, `${id}: ${row.name} reads computed maps only`);
      } else if (ok) {
        const why = step.note || step.blockedBy !== undefined || (plan.stop && step.index >= plan.stop.index);
        assert.ok(why, `${id}: ${row.name} (${row.type}) has no map and says why`);
      }
    });
  }
});

test('ResNet-18: the first residual add reads layer1.0.bn2 and maxpool and is computed; so is every block', () => {
  const plan = planOf(preset('resnet18'));
  const add = plan.steps.find((s) => s.name === 'layer1.0.add');
  assert.equal(add.index, 9);
  assert.deepEqual(add.reads, [8, 3]);
  assert.ok(add.compute);
  assert.deepEqual(add.inShapes, [[56, 56, 64], [56, 56, 64]]);
  const adds = plan.steps.filter((s) => s.type === 'add');
  assert.equal(adds.length, 8);
  assert.ok(adds.every((s) => s.compute), 'every residual add is previewed');
});

test('U-Net (padded, failing): the failing concat has no map, later layers are skipped, the encoder is computed', () => {
  const plan = planOf(preset('unet_padded'));
  const cat3 = plan.steps.find((s) => s.name === 'cat3');
  assert.equal(cat3.status, 'error');
  assert.equal(cat3.compute, false);
  assert.equal(cat3.arriving.length, 2);
  assert.match(cat3.trace, /pool3 floors it to 12/);
  const capped = (s) => plan.stop && s.index >= plan.stop.index;
  assert.ok(plan.steps.slice(0, cat3.index).every((s) => s.compute || capped(s)), 'everything before it, up to the MAC cap');
  assert.ok(plan.steps.slice(cat3.index + 1).every((s) => !s.compute && s.status === 'skipped'));
});

test('the original U-Net: crop_to reads only its tensor and crops by the report\'s negative pads', () => {
  const network = preset('unet_original');
  network.input = [1, 1, 188, 188]; // the smallest valid size, to keep it quick
  const plan = planOf(network, { ...CAPS, macs: 1e12 });
  const crop = plan.steps.find((s) => s.type === 'crop_to' && s.compute);
  assert.ok(crop, 'a computed crop_to');
  assert.equal(crop.reads.length, 1, 'the reference gives only its size');
  assert.ok(crop.pads[0][0] < 0, 'negative pads: cells removed');
  const cat = plan.steps.find((s) => s.type === 'concat' && s.reads.includes(crop.index));
  assert.equal(cat.axis, 2, 'PyTorch dim 1 is the channels (last in NHWC)');
});

test('concat axes map from the framework layout to the worker\'s [H, W, C]', () => {
  const base = (framework, input, axis) => ({
    framework, input,
    layers: [
      { type: 'conv', name: 'a', filters: 2, kernel: 1 },
      { type: 'conv', name: 'b', filters: 2, kernel: 1, inputs: ['input'] },
      { type: 'concat', name: 'c', inputs: ['a', 'b'], ...(axis === undefined ? {} : { axis }) },
    ],
  });
  const axisOf = (n) => planOf(n).steps[2].axis;
  assert.equal(axisOf(base('pytorch', [1, 3, 4, 5])), 2);
  assert.equal(axisOf(base('pytorch', [1, 3, 4, 5], 2)), 0);
  assert.equal(axisOf(base('pytorch', [1, 3, 4, 5], -1)), 1);
  assert.equal(axisOf(base('tensorflow', [1, 4, 5, 3])), 2);
  assert.equal(axisOf(base('tensorflow', [1, 4, 5, 3], 1)), 0);
  assert.equal(axisOf(base('onnx', [1, 3, 4, 5], 3)), 1);
  const batch = planOf(base('pytorch', [1, 3, 4, 5], 0)).steps[2];
  assert.equal(batch.compute, false);
  assert.match(batch.note, /batch axis/);
});

test('a squeeze-excitation gate in Keras: [1, C] broadcasts over [1, H, W, C] as numpy right-aligns it', () => {
  const network = {
    framework: 'tensorflow', input: [1, 8, 8, 3],
    layers: [
      { type: 'conv', name: 'x', filters: 4, kernel: 3, padding: 'same' },
      { type: 'global_avg_pool', name: 'squeeze' },
      { type: 'activation', name: 'gate', function: 'sigmoid' },
      { type: 'multiply', name: 'scaled', inputs: ['gate', 'x'] },
    ],
  };
  const plan = planOf(network);
  assert.deepEqual(plan.steps[2].outShape, [1, 1, 4], 'the activation runs on the vector as 1×1 maps');
  const step = plan.steps[3];
  assert.ok(step.compute);
  assert.deepEqual(step.inShapes, [[1, 1, 4], [8, 8, 4]]);
  assert.deepEqual(step.outShape, [8, 8, 4]);
});

test('a layer the previews cannot compute says so, and so does everything that reads it', () => {
  const network = {
    framework: 'pytorch', input: [1, 3, 8, 8],
    layers: [
      { type: 'conv', name: 'c', filters: 4, kernel: 3 },
      { type: 'flatten', name: 'f' },
      { type: 'dense', name: 'd', units: 4 },
      { type: 'conv', name: 'side', filters: 4, kernel: 3, inputs: ['c'] },
    ],
  };
  const plan = planOf(network);
  assert.match(plan.steps[1].note, /Flattened/);
  assert.match(plan.steps[2].note, /Dense/);
  assert.ok(plan.steps[3].compute, 'a branch off the spatial map is still previewed');
});

test('the memory cap stops the previews where the maps kept would exceed it', () => {
  const network = {
    framework: 'pytorch', input: [1, 3, 32, 32],
    layers: [{ type: 'relu', name: 'a' }, { type: 'relu', name: 'b' }, { type: 'relu', name: 'c' }],
  };
  const plan = planOf(network, { ...CAPS, held: 3 * 32 * 32 * 3 });
  assert.deepEqual(plan.steps.map((s) => s.compute), [true, true, false]);
  assert.equal(plan.stop.reason, 'held');
  assert.equal(plan.stop.index, 2);
});

test('element-wise merges broadcast size-1 axes and fold from the left in float32', () => {
  const H = 3; const W = 4; const C = 5;
  const n = H * W * C;
  const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
  const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
  const gate = Float32Array.from({ length: C }, (_, c) => c + 0.5);
  const row = Float32Array.from({ length: W }, (_, x) => x - 1.5);
  const full = [H, W, C];
  const step = (inShapes) => ({ outShape: full, inShapes });
  const expect = (f) => Float32Array.from({ length: n }, (_, i) => f(i, Math.floor(i / (W * C)), Math.floor(i / C) % W, i % C));
  assert.deepEqual(elementwise(step([full, full]), [a, b], 'add'), expect((i) => a[i] + b[i]));
  assert.deepEqual(elementwise(step([full, full]), [a, b], 'subtract'), expect((i) => a[i] - b[i]));
  assert.deepEqual(elementwise(step([[1, 1, C], full]), [gate, a], 'multiply'), expect((i, y, x, c) => gate[c] * a[i]));
  assert.deepEqual(elementwise(step([full, [1, W, 1]]), [a, row], 'maximum'), expect((i, y, x) => Math.max(a[i], row[x])));
  assert.deepEqual(elementwise(step([full, full]), [a, b], 'minimum'), expect((i) => Math.min(a[i], b[i])));
  const avg = elementwise(step([full, full, [1, 1, C]]), [a, b, gate], 'average');
  assert.deepEqual(avg, expect((i, y, x, c) => Math.fround(Math.fround(Math.fround(a[i] + b[i]) + gate[c]) / 3)));
});

test('concat joins maps along H, W or C', () => {
  const x = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i); // [2, 3, 2]
  const y = Float32Array.from({ length: 2 * 3 * 1 }, (_, i) => 100 + i); // [2, 3, 1]
  const c = concat({ axis: 2, outShape: [2, 3, 3], inShapes: [[2, 3, 2], [2, 3, 1]] }, [x, y]);
  assert.deepEqual([...c], [0, 1, 100, 2, 3, 101, 4, 5, 102, 6, 7, 103, 8, 9, 104, 10, 11, 105]);
  const z = Float32Array.from({ length: 1 * 3 * 2 }, (_, i) => 200 + i); // [1, 3, 2]
  const hcat = concat({ axis: 0, outShape: [3, 3, 2], inShapes: [[2, 3, 2], [1, 3, 2]] }, [x, z]);
  assert.deepEqual([...hcat], [...x, ...z]);
  const w = Float32Array.from({ length: 2 * 1 * 2 }, (_, i) => 300 + i); // [2, 1, 2]
  const wcat = concat({ axis: 1, outShape: [2, 4, 2], inShapes: [[2, 3, 2], [2, 1, 2]] }, [x, w]);
  assert.deepEqual([...wcat], [0, 1, 2, 3, 4, 5, 300, 301, 6, 7, 8, 9, 10, 11, 302, 303]);
});

test('pad_to and crop_to use padOrCrop with signed pads; resize_to samples the nearest cell', () => {
  const x = Float32Array.from({ length: 4 * 4 }, (_, i) => i + 1); // [4, 4, 1]
  const cropped = padOrCrop({ inShape: [4, 4, 1], outShape: [2, 2, 1], pads: [[-1, -1], [-1, -1]] }, x);
  assert.deepEqual([...cropped], [6, 7, 10, 11]);
  const padded = padOrCrop({ inShape: [2, 2, 1], outShape: [3, 4, 1], pads: [[0, 1], [1, 1]] }, Float32Array.of(1, 2, 3, 4));
  assert.deepEqual([...padded], [0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  const resized = upsampleNearest({ inShape: [2, 2, 1], outShape: [3, 3, 1] }, Float32Array.of(1, 2, 3, 4));
  assert.deepEqual([...resized], [1, 1, 2, 1, 1, 2, 3, 3, 4]);
});

test('ShuffleNet units: the channel split reads its chunk, the shuffle interleaves the groups as torchvision does', () => {
  const network = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'networks', 'graph_shufflenet_units.json'), 'utf8'));
  const plan = planOf(network);
  const byName = new Map(plan.steps.map((s) => [s.name, s]));
  for (const s of plan.steps) assert.ok(s.compute, `${s.name} is computed`);
  const second = byName.get('s1_x2');
  assert.deepEqual(second.outShape, [28, 28, 58]);  // the report's output, [1, 58, 28, 28] in NHWC
  assert.equal(second.channelBegin, 58);
  assert.equal(byName.get('s1_shuffle').groups, 2);
  // 6 channels on a 1x2 map in 2 groups: torchvision's order is 0, 3, 1, 4, 2, 5 (view (2, 3) -> transpose).
  const x = Float32Array.from({ length: 12 }, (_, i) => i);  // cell p, channel c = 6 * p + c
  const shuffled = channelShuffle({ inShape: [1, 2, 6], groups: 2 }, x);
  assert.deepEqual(Array.from(shuffled), [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]);
  // torch.chunk of 5 channels in 2: [0, 3) and [3, 5).
  const y = Float32Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(Array.from(channelSplit({ inShape: [1, 2, 5], outShape: [1, 2, 2], channelBegin: 3 }, y)), [3, 4, 8, 9]);
  assert.deepEqual(Array.from(channelSplit({ inShape: [1, 2, 5], outShape: [1, 2, 3], channelBegin: 0 }, y)), [0, 1, 2, 5, 6, 7]);
});

test('reshape: the SE fixture previews up to its first dense layer, a regroup keeps PyTorch\'s order, a batch change is named', () => {
  const network = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'networks', 'graph_se_view.json'), 'utf8'));
  const byName = new Map(planOf(network).steps.map((s) => [s.name, s]));
  const squeeze = byName.get('squeeze');
  assert.ok(squeeze.compute, 'avg_pool [1, 16, 1, 1] viewed as [1, 16]: computed');
  assert.deepEqual(squeeze.inShape, [1, 1, 16]);
  assert.deepEqual(squeeze.outShape, [1, 1, 16]);
  assert.match(byName.get('fc1').note, /Dense layer: not previewed/);
  assert.equal(byName.get('excite').compute, false);  // after the dense layers: no map to reshape
  assert.equal(byName.get('excite').blockedBy !== undefined, true);
  // At 64x64 x.view(-1, 1024) makes the batch 4: the previews say why they stop there.
  const wide = new Map(planOf({ ...network, input: [1, 3, 64, 64] }).steps.map((s) => [s.name, s]));
  assert.match(wide.get('flat').note, /changes the batch \(1 to 4\)/);
  // RUN (torch 1.13): torch.arange(12.).view(1, 3, 2, 2).view(1, 2, 3, 2), both read back as H, W, C.
  const x = Float32Array.from([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);  // [1, 3, 2, 2] as HWC
  assert.deepEqual(Array.from(reshape({ layout: 'NCHW', inShape: [2, 2, 3], outShape: [3, 2, 2] }, x)),
    [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]);
  // ... and .view(1, 12): the vector in C, H, W order.
  assert.deepEqual(Array.from(reshape({ layout: 'NCHW', inShape: [2, 2, 3], outShape: [1, 1, 12] }, x)),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  // Keras' Reshape works on the NHWC order itself.
  assert.deepEqual(Array.from(reshape({ layout: 'NHWC', inShape: [2, 2, 3], outShape: [3, 2, 2] }, x)), Array.from(x));
});

test('inputIndexes and isGraph read the report: a chain is not a graph, a skip makes one', () => {
  const chain = analyze(preset('vgg_block'));
  assert.equal(isGraph(chain), false);
  assert.deepEqual(inputIndexes(chain).slice(0, 3), [[-1], [0], [1]]);
  const resnet = analyze(preset('resnet18'));
  assert.equal(isGraph(resnet), true);
  assert.deepEqual(inputIndexes(resnet)[9], [8, 3]);
});
