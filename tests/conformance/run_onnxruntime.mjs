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
const RUN_ERROR = /running (\w+) node\. Name:'([^']*)' Status Message: ([\s\S]*)$/;
// "Load model from ... failed:Node (n3) Op (Conv) [ShapeInferenceError] ..."
const LOAD_ERROR = /Node \(([^)]*)\) Op \((\w+)\) ([\s\S]*)$/;

// ORT_ENFORCE prefixes its message with the source location and the failed
// condition ("/onnxruntime_src/.../pool_attributes.h:236 int64_t ...
// ComputeOutputSize(...) const out_size >= 0 was false. "), which changes with
// every build; the message after it is what ConvScope quotes for the layers'
// own checks. ConvScope quotes the merges' texts whole, as ONNX Runtime
// prints them (op, node name and location), so `message` keeps that too:
// from "Non-zero status code ..." at run time, from "Node (...) Op (...)" at load.
const ENFORCE_PREFIX = /^\/\S+:\d+ [\s\S]*? was false\. /;

// One run of a model: its outputs, or the failing node and ONNX Runtime's texts.
async function attempt(file, net) {
  let session;
  try {
    session = await open(file);
  } catch (e) {
    const m = LOAD_ERROR.exec(e.message);
    if (!m) return { unparsed: e.message, stage: 'load' };
    return { failure: { node: m[1], stage: 'load', type: m[2], text: m[3].trim(), message: m[0].trim() } };
  }
  const size = net.input.reduce((a, b) => a * b, 1);
  try {
    return { outputs: await session.run({ input: new ort.Tensor('float32', new Float32Array(size), net.input) }) };
  } catch (e) {
    const m = RUN_ERROR.exec(e.message);
    if (!m) return { unparsed: e.message, stage: 'run' };
    const whole = e.message.slice(e.message.indexOf('Non-zero status code')).trim();
    return {
      failure: { node: m[2], stage: 'run', type: m[1], text: m[3].trim().replace(ENFORCE_PREFIX, ''), full_text: m[3].trim(), message: whole },
    };
  } finally {
    await session.release?.();
  }
}

// The first failing layer in list order, as a forward pass that runs the
// layers in that order meets it: ONNX Runtime loads the whole model first
// (a node that fails at load hides one that would fail earlier at run) and
// may schedule independent branches in another order, so after a failure
// at layer k the model cut before k is run, until a cut runs clean. The
// layers before the failure take their shapes from that clean run.
async function runCase(kase) {
  const info = index.models[kase.id];
  const net = kase.network;
  if (info.built === 0) return { layers: [], error: { index: 0, stage: 'builder', type: 'build', text: info.note } };
  let file = `${info.file}.onnx`;
  let limit = info.built;
  let error = null;
  let outputs = {};
  for (;;) {
    const a = await attempt(file, net);
    if (a.unparsed !== undefined) {
      const index = error ? error.index : 0;
      return { layers: [], error: { index, stage: 'builder', type: a.stage, text: a.unparsed } };
    }
    if (a.outputs) {
      outputs = a.outputs;
      break;
    }
    const k = info.nodes[a.failure.node.split('__')[0]];
    if (k === undefined || k >= limit)
      return { layers: [], error: { index: 0, stage: 'builder', type: a.failure.stage, text: `unknown failing node ${a.failure.node}: ${a.failure.text}` } };
    const { node, ...rest } = a.failure;
    error = { index: k, ...rest };
    if (k === 0) break;
    file = `${info.file}.${k}.onnx`;
    limit = k;
  }
  const shapeOf = (name) => (name === 'input' ? net.input : Array.from(outputs[`l${info.nodes[name]}`]?.dims ?? []));
  let end = error ? error.index : info.built;
  // The contract refuses a crop_to whose reference is larger (a centre crop
  // cannot grow); ONNX's Slice just clamps, so that is checked on the shapes
  // ONNX Runtime computed.
  for (let i = 0; i < end; ++i) {
    const L = net.layers[i];
    if (L.type !== 'crop_to') continue;
    const [t, ref] = (L.inputs ?? []).map(shapeOf);
    if (t && ref && t.slice(2).some((d, a) => ref[2 + a] > d)) {
      error = { index: i, stage: 'contract', type: 'crop_to', text: 'crop_to: the reference is larger' };
      end = i;
      break;
    }
  }
  const layers = Array.from({ length: end }, (_, i) => ({ output: Array.from(outputs[`l${i}`].dims) }));
  if (!error && info.built < net.layers.length)
    return { layers, error: { index: info.built, stage: 'builder', type: 'build', text: info.note } };
  return { layers, error };
}

// One thread per session: ONNX Runtime otherwise starts a thread pool for
// every session, which made a case cost ~130 ms instead of ~5 ms.
const open = (file) => ort.InferenceSession.create(file, {
  graphOptimizationLevel: 'disabled', logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1,
});

// A graph case also runs with the input's sizes fixed in the model (as
// torch.onnx.export writes one by default), where ONNX shape inference checks
// the merges while the model loads: `static` says where that model fails
// first and how ({index, stage, text, message}), or {ok: true}.
async function runStatic(kase) {
  const info = index.models[kase.id];
  if (!info.static) return undefined;
  const a = await attempt(`${info.file}.static.onnx`, kase.network);
  if (a.outputs) return { ok: true };
  if (a.unparsed !== undefined) return { unparsed: a.unparsed, stage: a.stage };
  const { node, ...rest } = a.failure;
  return { index: info.nodes[node.split('__')[0]], ...rest };
}

const results = [];
for (const kase of cases) {
  const result = { id: kase.id, ...(await runCase(kase)) };
  const fixed = await runStatic(kase);
  if (fixed) result.static = fixed;
  results.push(result);
}
process.stdout.write(JSON.stringify({
  framework: 'onnx',
  version: `onnxruntime-node ${require('onnxruntime-node/package.json').version}, models by onnx ${index.onnx} (opset ${index.opset})`,
  notes: ['sizes are checked by ONNX Runtime\'s kernels at run time (models with symbolic input sizes, as exported with dynamic axes); a model with static sizes can fail earlier, at load, in ONNX shape inference',
    'graphs also run with fixed input sizes (as torch.onnx.export writes a model by default), where a merge that does not fit is refused while the model loads'],
  results,
}) + '\n');
