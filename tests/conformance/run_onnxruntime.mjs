// Runs the models build_onnx.py made in ONNX Runtime (npm onnxruntime-node,
// CPU) and records every layer's output shape, or the failing node and the
// status message ONNX Runtime gives for it.
//
//   node tests/conformance/run_onnxruntime.mjs cases.json MODELDIR > results.json
//
// Graph optimisations are off so that nodes keep their names (the NCHWc
// transformer renames a Conv's output node) and every layer runs as written.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [casesFile, modelDir] = process.argv.slice(2);
if (!casesFile || !modelDir) {
  console.error('usage: run_onnxruntime.mjs cases.json MODELDIR');
  process.exit(2);
}
const cases = JSON.parse(readFileSync(casesFile, 'utf8'));
const index = JSON.parse(readFileSync(join(modelDir, 'index.json'), 'utf8'));
ort.env.logLevel = 'fatal';

// "Non-zero status code returned while running Conv node. Name:'n3' Status Message: ..."
const RUN_ERROR = /running (\w+) node\. Name:'n(\d+)(?:_\w+)?' Status Message: ([\s\S]*)$/;
// "Load model from ... failed:Node (n3) Op (Conv) [ShapeInferenceError] ..."
const LOAD_ERROR = /Node \(n(\d+)(?:_\w+)?\) Op \((\w+)\) ([\s\S]*)$/;

// ORT_ENFORCE prefixes its message with the source location and the failed
// condition ("/onnxruntime_src/.../pool_attributes.h:236 int64_t ...
// ComputeOutputSize(...) const out_size >= 0 was false. "), which changes with
// every build; the message after it is what ConvScope quotes. Both are kept.
const ENFORCE_PREFIX = /^\/\S+:\d+ [\s\S]*? was false\. /;
const failure = (index, stage, type, full) =>
  ({ index, stage, type, text: full.trim().replace(ENFORCE_PREFIX, ''), full_text: full.trim() });

async function runCase(kase) {
  const info = index.models[kase.id];
  const net = kase.network;
  const layers = [];
  if (info.built === 0) return { layers, error: { index: 0, stage: 'builder', type: 'build', text: info.note } };
  let session;
  try {
    session = await open(`${info.file}.onnx`);
  } catch (e) {
    const m = LOAD_ERROR.exec(e.message);
    if (!m) return { layers, error: { index: 0, stage: 'builder', type: 'load', text: e.message } };
    const failing = Number(m[1]);
    return { layers: await shapesBefore(info, net, failing), error: failure(failing, 'load', m[2], m[3]) };
  }
  const size = net.input.reduce((a, b) => a * b, 1);
  let outputs;
  try {
    outputs = await session.run({ input: new ort.Tensor('float32', new Float32Array(size), net.input) });
  } catch (e) {
    const m = RUN_ERROR.exec(e.message);
    if (!m) return { layers, error: { index: 0, stage: 'builder', type: 'run', text: e.message } };
    const failing = Number(m[2]);
    // The layers before the failing one ran; their shapes come from a run of
    // the model cut there (ONNX Runtime returns no outputs from a failed run).
    return { layers: await shapesBefore(info, net, failing), error: failure(failing, 'run', m[1], m[3]) };
  }
  for (let i = 0; i < info.built; ++i) layers.push({ output: Array.from(outputs[`l${i}`].dims) });
  if (info.built < net.layers.length)
    return { layers, error: { index: info.built, stage: 'builder', type: 'build', text: info.note } };
  return { layers, error: null };
}

// One thread per session: ONNX Runtime otherwise starts a thread pool for
// every session, which made a case cost ~130 ms instead of ~5 ms.
const open = (file) => ort.InferenceSession.create(file, {
  graphOptimizationLevel: 'disabled', logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1,
});

// The layers before a failing one, from the model cut before it.
async function shapesBefore(info, net, failing) {
  if (failing === 0) return [];
  const session = await open(`${info.file}.${failing}.onnx`);
  const size = net.input.reduce((a, b) => a * b, 1);
  const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(size), net.input) });
  return Array.from({ length: failing }, (_, i) => ({ output: Array.from(out[`l${i}`].dims) }));
}

const results = [];
for (const kase of cases) results.push({ id: kase.id, ...(await runCase(kase)) });
process.stdout.write(JSON.stringify({
  framework: 'onnx',
  version: `onnxruntime-node ${require('onnxruntime-node/package.json').version}, models by onnx ${index.onnx} (opset ${index.opset})`,
  notes: ['sizes are checked by ONNX Runtime\'s kernels at run time (models with symbolic input sizes, as exported with dynamic axes); a model with static sizes can fail earlier, at load, in ONNX shape inference'],
  results,
}) + '\n');
