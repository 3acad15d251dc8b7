// The Keras code reader (issue 14) against a real Keras implementation:
// TensorFlow.js layers (npm @tensorflow/tfjs-layers 4.22, the Keras API
// ported to JavaScript, with tfjs-core's CPU backend). TensorFlow itself is
// not installed here, so each Keras file of the corpus (tests/fixtures/code)
// is translated by hand into tfjs below, line for line, keeping the Python
// visible beside it; tfjs-layers then builds the model symbolically and
// gives every layer's output shape, or refuses a layer with its own error.
//
// For every file and input size:
//   - `build/convscope analyze --input SHAPE FILE.py` reads the Python code;
//   - its layers, in the order the code makes them, are tfjs-layers' layers
//     in the order the translation applies them: the same class (Conv2D ->
//     conv, ...) and the same output shape (tfjs' null batch = ConvScope's
//     batch 1), and where tfjs runs the report is ok;
//   - where tfjs-layers refuses a layer (the U-Net's Concatenate at 100x100
//     and 36x36), ConvScope's first failing layer is that layer, and its
//     TensorFlow-column text (Keras's own wording, "Received:
//     input_shape=[(None, 24, 24, 256), ...]") names the same input shapes as
//     tfjs' text ("Got input shapes: [[null,24,24,256],...]"): the wording
//     is each implementation's own, the shapes must agree.
//
// Run: node --test tests/conformance/code_keras.test.mjs (needs build/convscope).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, cli } from './examples_support.mjs';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');

// tfjs prints an advert for tfjs-node on the first op.
const log = console.log;
console.log = () => {};
await tf.setBackend('cpu');
console.log = log;

const corpus = join(root, 'tests', 'fixtures', 'code');

// tfjs-layers class -> ConvScope layer type.
const TYPE = {
  Conv2D: 'conv', Conv2DTranspose: 'conv_transpose', MaxPooling2D: 'max_pool', Flatten: 'flatten', Dropout: 'dropout',
  Dense: 'dense', BatchNormalization: 'batch_norm', Activation: 'activation', Concatenate: 'concat',
};

// Applies tfjs layers as the Python calls them, recording each one's class
// and output shape in call order; a layer tfjs refuses ends the run.
class Recorder {
  constructor() {
    this.layers = [];
    this.refused = null;
  }
  call(layer, x) {
    const y = layer.apply(x);
    this.layers.push({ cls: layer.getClassName(), shape: y.shape });
    return y;
  }
}

// ---- keras_mnist_convnet.py -------------------------------------------------
// model = keras.Sequential([keras.Input(shape=input_shape), ...]); tfjs'
// Sequential takes the input shape on its first layer.
function mnistConvnet(rec, inputShape) {
  const numClasses = 10;
  const model = tfl.sequential({
    layers: [
      // keras.Input(shape=input_shape),
      // layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
      tfl.layers.conv2d({ inputShape, filters: 32, kernelSize: [3, 3], activation: 'relu' }),
      // layers.MaxPooling2D(pool_size=(2, 2)),
      tfl.layers.maxPooling2d({ poolSize: [2, 2] }),
      // layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
      tfl.layers.conv2d({ filters: 64, kernelSize: [3, 3], activation: 'relu' }),
      // layers.MaxPooling2D(pool_size=(2, 2)),
      tfl.layers.maxPooling2d({ poolSize: [2, 2] }),
      // layers.Flatten(),
      tfl.layers.flatten(),
      // layers.Dropout(0.5),
      tfl.layers.dropout({ rate: 0.5 }),
      // layers.Dense(num_classes, activation="softmax"),
      tfl.layers.dense({ units: numClasses, activation: 'softmax' }),
    ],
  });
  for (const layer of model.layers) rec.layers.push({ cls: layer.getClassName(), shape: layer.outputShape });
}

// ---- keras_unet.py ----------------------------------------------------------
function kerasUnet(rec, inputShape) {
  // def conv_block(inputs, num_filters):
  const convBlock = (inputs, numFilters) => {
    let x = rec.call(tfl.layers.conv2d({ filters: numFilters, kernelSize: 3, padding: 'same' }), inputs);
    x = rec.call(tfl.layers.batchNormalization(), x);
    x = rec.call(tfl.layers.activation({ activation: 'relu' }), x);
    x = rec.call(tfl.layers.conv2d({ filters: numFilters, kernelSize: 3, padding: 'same' }), x);
    x = rec.call(tfl.layers.batchNormalization(), x);
    x = rec.call(tfl.layers.activation({ activation: 'relu' }), x);
    return x;
  };
  // def encoder_block(inputs, num_filters):
  const encoderBlock = (inputs, numFilters) => {
    const s = convBlock(inputs, numFilters);
    const p = rec.call(tfl.layers.maxPooling2d({ poolSize: [2, 2] }), s);  // layers.MaxPool2D((2, 2))(s)
    return [s, p];
  };
  // def decoder_block(inputs, skip, num_filters):
  const decoderBlock = (inputs, skip, numFilters) => {
    let x = rec.call(tfl.layers.conv2dTranspose({ filters: numFilters, kernelSize: [2, 2], strides: 2, padding: 'same' }), inputs);
    x = rec.call(tfl.layers.concatenate(), [x, skip]);  // layers.Concatenate()([x, skip])
    x = convBlock(x, numFilters);
    return x;
  };
  // def build_unet(input_shape, num_classes=1):
  const numClasses = 1;
  const inputs = tfl.input({ shape: inputShape });
  const [s1, p1] = encoderBlock(inputs, 64);
  const [s2, p2] = encoderBlock(p1, 128);
  const [s3, p3] = encoderBlock(p2, 256);
  const [s4, p4] = encoderBlock(p3, 512);
  const b1 = convBlock(p4, 1024);
  const d1 = decoderBlock(b1, s4, 512);
  const d2 = decoderBlock(d1, s3, 256);
  const d3 = decoderBlock(d2, s2, 128);
  const d4 = decoderBlock(d3, s1, 64);
  const activation = numClasses === 1 ? 'sigmoid' : 'softmax';
  const outputs = rec.call(tfl.layers.conv2d({ filters: numClasses, kernelSize: 1, padding: 'same', activation }), d4);
  tfl.model({ inputs, outputs, name: 'U-Net' });
}

function runTfjs(build, inputShape) {
  const rec = new Recorder();
  try {
    build(rec, inputShape);
  } catch (e) {
    rec.refused = e.message;
  }
  return rec;
}

function convscope(file, input) {
  const args = ['analyze', ...(input ? ['--input', input.join('x')] : []), join(corpus, file)];
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `convscope ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// "[(None, 24, 24, 256), (None, 25, 25, 256)]" and "[[null,24,24,256],...]" -> [[-1, 24, 24, 256], ...]
const shapesIn = (text) =>
  [...text.matchAll(/[[(]((?:None|null|\d+)(?:,\s*(?:None|null|\d+))*)[\])]/g)].map((m) =>
    m[1].split(',').map((s) => (/None|null/.test(s) ? -1 : Number(s))));

const cases = [
  { file: 'keras_mnist_convnet.py', build: mnistConvnet, shape: [28, 28, 1], own: true },
  { file: 'keras_mnist_convnet.py', build: mnistConvnet, shape: [32, 32, 1] },
  { file: 'keras_mnist_convnet.py', build: mnistConvnet, shape: [64, 48, 3] },
  { file: 'keras_unet.py', build: kerasUnet, shape: [256, 256, 3], own: true },
  { file: 'keras_unet.py', build: kerasUnet, shape: [96, 96, 3] },
  { file: 'keras_unet.py', build: kerasUnet, shape: [128, 64, 1] },
  { file: 'keras_unet.py', build: kerasUnet, shape: [100, 100, 3], refused: 'concatenate_1' },
  { file: 'keras_unet.py', build: kerasUnet, shape: [36, 36, 3], refused: 'concatenate_1' },
];

for (const c of cases) {
  test(`${c.file} at ${c.shape.join('x')}${c.own ? ' (the file\'s own input)' : ''}: tfjs-layers' shapes`, () => {
    const tfjs = runTfjs(c.build, c.shape);
    // The file's own input is read from its code; others are given.
    const report = convscope(c.file, c.own ? null : [1, ...c.shape]);
    const layers = report.layers;
    const compared = tfjs.layers.length;
    assert.ok(compared > 0, 'tfjs built no layer');
    for (let k = 0; k < compared; k++) {
      const want = tfjs.layers[k];
      const got = layers[k];
      const where = `layer ${k} (tfjs ${want.cls}, ConvScope ${got && got.name})`;
      assert.ok(got, `${where}: ConvScope has ${layers.length} layers`);
      assert.equal(got.type, TYPE[want.cls], where);
      assert.deepEqual(got.output, [1, ...want.shape.slice(1)], where);
      assert.equal(want.shape[0], null, where);
    }
    if (!c.refused) {
      assert.equal(tfjs.refused, null, 'tfjs builds the model');
      assert.equal(layers.length, compared, 'as many layers as tfjs');
      assert.equal(report.ok, true);
      return;
    }
    // tfjs-layers refuses the next layer: ConvScope's first failure.
    assert.ok(tfjs.refused, 'tfjs refuses a layer');
    assert.match(tfjs.refused, /^A `Concatenate` layer requires inputs with matching shapes except for the concat axis\. Got input shapes: /);
    assert.equal(report.ok, false);
    assert.equal(report.first_error, compared, `ConvScope fails at layer ${report.first_error}, tfjs at ${compared}`);
    const bad = layers[compared];
    assert.equal(bad.name, c.refused);
    assert.equal(bad.status, 'error');
    const kerasText = bad.framework_error;
    assert.match(kerasText, /^A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis\. Received: input_shape=/);
    assert.deepEqual(shapesIn(kerasText.slice(kerasText.indexOf('input_shape='))), shapesIn(tfjs.refused.slice(tfjs.refused.indexOf('shapes:'))));
  });
}
