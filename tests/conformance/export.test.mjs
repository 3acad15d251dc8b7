// The exported PyTorch code, run in real PyTorch (issue 13, item 6).
//
// For every example network (the graphs, exported as an nn.Module with a
// forward(), and the chains, as nn.Sequential), the graph fixtures in
// tests/fixtures/networks/graph_*.json (1-D and 3-D, pad_to, resize_to and
// every merge), each graph at another input size, and the real models
// imported from tests/fixtures/models/*.onnx, this test
//   1. exports the network with `build/convscope export --pytorch -` and
//      analyses it with `build/convscope analyze -`;
//   2. runs the code as printed in /usr/bin/python3 with torch
//      (tests/conformance/export_run.py: global forward hooks record every
//      module's output shape, the model's outputs and, for a failure, the
//      exception and the layer that raised it);
//   3. compares: every module layer's output shape with the report's, the
//      model's outputs with the report's `outputs` (and the printed shapes),
//      and for a failing network, that PyTorch raises at the report's first
//      failing layer with the report's PyTorch text (`framework_error`).
// Keras code cannot run here (no TensorFlow): its structure is checked by the
// doctests (tests/core/import_export_test.cpp).
//
// Run: node --test tests/conformance/export.test.mjs
// (needs build/convscope and /usr/bin/python3 with Debian's python3-torch;
// CONVSCOPE_CLI and CONVSCOPE_PYTHON override them). Nothing is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root, cli, python, EXAMPLES, V1_EXAMPLES, readExample } from './examples_support.mjs';

const runner = join(root, 'tests', 'conformance', 'export_run.py');
const fixtures = join(root, 'tests', 'fixtures', 'networks');
const GRAPH_FIXTURES = readdirSync(fixtures).filter((f) => /^graph_.*\.json$/.test(f)).map((f) => f.slice(0, -5));

// Another input size for each graph: valid ones and failing ones (the
// original U-Net at 172 fails at a module, dec3.conv2; the FPN at 200 at an add).
const OTHER_INPUTS = {
  resnet18: [[1, 3, 160, 160]],
  unet_padded: [[1, 3, 96, 96]],
  unet_original: [[1, 1, 172, 172], [1, 1, 189, 189]],
  inception_block: [[1, 192, 15, 15]],
  densenet_block: [[1, 64, 31, 31]],
  residual_forgot_stride: [[1, 64, 57, 57]],
  fpn_topdown: [[1, 3, 200, 200]],
  graph_fit_1d: [[2, 4, 40]],
  graph_fit_3d: [[1, 2, 12, 7, 13]],
  graph_tf_gate: [[1, 5, 9, 16]],
  // 117 channels: halves of 59 and 58, and torchvision's channel_shuffle of 117 in 2 groups fails.
  graph_shufflenet_units: [[1, 116, 15, 15], [1, 117, 28, 28]],
  // 28: x.view(-1, 1024) of 16 * 7 * 7 = 784 values fails; 64: the batch becomes 4.
  graph_se_view: [[1, 3, 28, 28], [1, 3, 64, 64]],
};

const MODELS = [['resnet18', null], ['unet', [1, 3, 96, 96]], ['unet', [1, 3, 100, 100]], ['unet_resize', [1, 3, 100, 100]]];
// print(model) texts of the corpus (tests/fixtures/models/*.txt), imported at an input.
const TEXT_MODELS = [['shufflenet_v2_x1_0', [1, 3, 224, 224]]];

// Layer types that forward() writes as expressions, not modules.
const EXPRESSIONS = new Set(['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum', 'concat',
  'crop_to', 'pad_to', 'resize_to', 'flatten', 'channel_shuffle', 'channel_split', 'reshape']);

function cliRun(args, input) {
  assert.ok(existsSync(cli), `no CLI at ${cli}: build it (cmake -S . -B build && cmake --build build -j2 --target convscope)`);
  return spawnSync(cli, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
}

function cases() {
  const out = [];
  const add = (key, net) => {
    const text = JSON.stringify(net);
    const analysed = cliRun(['analyze', '-'], text);
    assert.ok(analysed.status === 0 || analysed.status === 1, `${key}: analyze exit ${analysed.status}: ${analysed.stderr}`);
    const exported = cliRun(['export', '--pytorch', '-'], text);
    assert.equal(exported.status, 0, `${key}: export --pytorch exit ${exported.status}: ${exported.stderr}`);
    out.push({ key, net, report: JSON.parse(analysed.stdout), code: exported.stdout });
  };
  for (const id of [...EXAMPLES, ...GRAPH_FIXTURES, ...V1_EXAMPLES]) {
    const net = id.startsWith('graph_') ? JSON.parse(readFileSync(join(fixtures, `${id}.json`), 'utf8')) : readExample(id);
    add(id, net);
    for (const input of OTHER_INPUTS[id] ?? []) add(`${id}@${input.slice(2).join('x')}`, { ...net, input });
  }
  // Real models, imported from the committed ONNX exports (torchvision's
  // ResNet-18; the U-Nets, whose sizes are symbolic, at an input given).
  for (const [model, input] of MODELS) {
    const file = join(root, 'tests', 'fixtures', 'models', `${model}.onnx`);
    const imported = cliRun(['import', ...(input ? ['--input', input.join('x')] : []), file]);
    assert.equal(imported.status, 0, `import ${model}.onnx: ${imported.stderr}`);
    add(`${model}.onnx${input ? `@${input.slice(2).join('x')}` : ''}`, JSON.parse(imported.stdout));
  }
  for (const [model, input] of TEXT_MODELS) {
    const file = join(root, 'tests', 'fixtures', 'models', `${model}.txt`);
    const imported = cliRun(['import', '--input', input.join('x'), file]);
    assert.equal(imported.status, 0, `import ${model}.txt: ${imported.stderr}`);
    add(`${model}.txt`, JSON.parse(imported.stdout));
  }
  return out;
}

let resultsCache = null;
function results() {
  if (resultsCache) return resultsCache;
  const all = cases();
  const r = spawnSync(python, [runner], {
    input: JSON.stringify(all.map((c) => ({ key: c.key, code: c.code }))),
    encoding: 'utf8', maxBuffer: 64 << 20, timeout: 20 * 60 * 1000,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`${python} ${runner} failed (${r.error ? r.error.message : `exit ${r.status}`}); ` +
      `it needs Debian's python3-torch:\n${r.stderr}`);
  }
  const ran = new Map(JSON.parse(r.stdout).map((x) => [x.key, x]));
  resultsCache = all.map((c) => ({ ...c, ran: ran.get(c.key) }));
  return resultsCache;
}

// The exported attribute (and forward() variable) of a layer: its name with
// every character outside [A-Za-z0-9_] made '_' (README, "Import and export").
// The names here need no more: the other cases of the rule (a leading digit,
// keywords, clashes) are the doctests'.
function attribute(name) {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

// A report shape in PyTorch's layout (a TensorFlow network's channels moved to axis 1).
function torchShape(report, shape) {
  if (!shape || report.framework !== 'tensorflow' || shape.length < 3) return shape;
  return [shape[0], shape[shape.length - 1], ...shape.slice(1, -1)];
}

function check(c) {
  const { net, report, ran, key } = c;
  assert.ok(ran, `${key}: the runner returned nothing`);
  const graph = c.code.includes('class Model(nn.Module):');
  assert.equal(graph, net.layers.some((l) => l.inputs !== undefined), `${key}: a graph exports as an nn.Module, a chain as nn.Sequential`);
  const names = net.layers.map((l) => l.name);
  assert.equal(new Set(names.map(attribute)).size, names.length, `${key}: the names need only character replacement`);
  const failing = report.first_error ?? null;
  assert.equal(ran.ok, report.ok, `${key}: PyTorch ${ran.ok ? 'runs it' : `raises ${ran.error_type}: ${ran.error_text}`}, the report says ok=${report.ok}`);

  // Every module layer PyTorch ran: its output shape is the report's.
  const modules = new Map(Object.entries(ran.modules));
  let compared = 0;
  report.layers.forEach((row, i) => {
    const layer = net.layers[i];
    if (EXPRESSIONS.has(layer.type)) return;
    const attr = attribute(layer.name);
    if (failing === null || i < failing) {
      assert.ok(modules.has(attr), `${key}: module ${attr} (layer ${layer.name}) did not run in PyTorch`);
      const got = modules.get(attr);
      // Keras' global pooling without keepdims: the module keeps the 1s, forward() flattens them.
      const flattened = layer.type.startsWith('global_') && row.output?.length === 2;
      const expected = flattened ? [...row.output, ...Array(net.input.length - 2).fill(1)] : torchShape(report, row.output);
      assert.deepEqual(got, expected, `${key}: ${layer.name}: PyTorch ${JSON.stringify(got)}, report ${JSON.stringify(expected)}`);
      compared++;
    } else if (i > failing) {
      // forward() runs the layers in the network's order: nothing after the failure ran.
      assert.ok(!modules.has(attr), `${key}: ${layer.name} ran after the failing layer`);
    }
  });
  assert.ok(compared > 0 || failing === 0, `${key}: no module compared`);

  if (report.ok) {
    const expected = report.outputs.map((o) => torchShape(report, o.shape));
    assert.deepEqual(ran.outputs, expected, `${key}: the model's outputs`);
    assert.deepEqual(ran.printed, expected.map((s) => `torch.Size([${s.join(', ')}])`), `${key}: what the code prints`);
    return;
  }
  const row = report.layers[failing];
  const layer = net.layers[failing];
  const where = ran.failing_module ?? ran.failing_variable;
  assert.equal(where, attribute(layer.name),
    `${key}: PyTorch raises at ${where} (${ran.error_type}: ${ran.error_text}), the report at ${layer.name}`);
  assert.ok(c.code.includes(`# ConvScope: this network fails at layer ${failing + 1} of ${net.layers.length} (${layer.name}): `),
    `${key}: the comment naming the failing layer`);
  if (report.framework === 'pytorch') {
    assert.equal(ran.error_text, row.framework_error, `${key}: PyTorch's text is the report's framework_error`);
  }
}

test('the runner sees PyTorch: every case produced a result', () => {
  const all = results();
  assert.ok(all.length >= EXAMPLES.length + V1_EXAMPLES.length + 2 + 10, `only ${all.length} cases`);
  for (const c of all) assert.ok(c.ran, `${c.key}: no result`);
  // The failing cases the issue names fail in PyTorch too, at the layers and with the texts pinned here.
  const byKey = new Map(all.map((c) => [c.key, c]));
  assert.equal(byKey.get('unet_padded').ran.error_text,
    'Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list.');
  assert.equal(byKey.get('unet_padded').ran.failing_variable, 'cat3');
  assert.equal(byKey.get('residual_forgot_stride').ran.error_text,
    'The size of tensor a (28) must match the size of tensor b (56) at non-singleton dimension 3');
  assert.equal(byKey.get('unet_original@172x172').ran.failing_module, 'dec3_conv2');
  assert.equal(byKey.get('fpn_topdown@200x200').ran.failing_variable, 'p4');
  assert.equal(byKey.get('unet_padded@96x96').ran.ok, true);
  assert.deepEqual(byKey.get('unet_original').ran.outputs, [[1, 2, 388, 388]]);
  assert.deepEqual(byKey.get('fpn_topdown').ran.outputs.length, 4);
});

for (const id of [...EXAMPLES, ...GRAPH_FIXTURES]) {
  test(`export --pytorch of ${id} runs in PyTorch as the report says, at its input and at ${(OTHER_INPUTS[id] ?? []).map((s) => s.slice(2).join('x')).join(', ')}`, () => {
    const mine = results().filter((c) => c.key === id || c.key.startsWith(`${id}@`));
    assert.equal(mine.length, 1 + (OTHER_INPUTS[id] ?? []).length);
    for (const c of mine) check(c);
  });
}

test('export --pytorch of real models imported from ONNX (ResNet-18, the U-Nets at 96 and 100) runs as the report says', () => {
  const mine = results().filter((c) => c.key.includes('.onnx'));
  assert.equal(mine.length, MODELS.length);
  for (const c of mine) check(c);
  const unet100 = mine.find((c) => c.key === 'unet.onnx@100x100');
  assert.equal(unet100.ran.error_text,
    'Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list.');
});

test('export --pytorch of ShuffleNet V2 read from print(model) runs in PyTorch as the report says (x.chunk and channel_shuffle in forward())', () => {
  const c = results().find((x) => x.key === 'shufflenet_v2_x1_0.txt');
  assert.ok(c.code.includes('def channel_shuffle(x, groups):'));
  assert.ok(c.code.includes('.chunk(2, dim=1)[1]'));
  check(c);
  assert.deepEqual(c.ran.outputs, [[1, 1000]]);
});

test('export --pytorch of a failing channel shuffle raises PyTorch\'s own view error at the shuffle', () => {
  const c = results().find((x) => x.key === 'graph_shufflenet_units@28x28');
  assert.equal(c.ran.failing_variable, 's1_shuffle');
  assert.equal(c.ran.error_text, "shape '[1, 2, 58, 28, 28]' is invalid for input of size 91728");
});

test('export --pytorch of an SE block written with Linear and view runs in PyTorch as the report says (x.reshape in forward())', () => {
  const at32 = results().find((x) => x.key === 'graph_se_view');
  assert.ok(at32.code.includes('squeeze = avg_pool.reshape(avg_pool.size(0), 16)\n'));
  assert.ok(at32.code.includes('flat = pool.reshape(-1, 1024)\n'));
  assert.deepEqual(at32.ran.outputs, [[1, 10]]);
  const at28 = results().find((x) => x.key === 'graph_se_view@28x28');
  assert.equal(at28.ran.failing_variable, 'flat');
  assert.equal(at28.ran.error_text, "shape '[-1, 1024]' is invalid for input of size 784");
  assert.deepEqual(results().find((x) => x.key === 'graph_se_view@64x64').ran.outputs, [[4, 10]]);
});

test('export --pytorch of the chain examples runs in PyTorch as the report says', () => {
  for (const id of V1_EXAMPLES) check(results().find((c) => c.key === id));
});
