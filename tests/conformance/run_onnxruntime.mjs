// Runs the models build_onnx.py made in ONNX Runtime (npm onnxruntime-node,
// CPU) and records every layer's output shape, or the failing node and the
// status message ONNX Runtime gives for it.
//
//   node tests/conformance/run_onnxruntime.mjs cases.json MODELDIR > results.json
//
// Graph optimisations are off so that nodes keep their names (the NCHWc
// transformer renames a Conv's output node) and every layer runs as written.
// Sessions run on one thread: creating a session's thread pools is what made
// a session cost ~60 ms here; with one thread it costs well under 1 ms.
//
// Two passes. The first runs every whole model. A model that fails tells
// which models cut before a layer are needed (ONNX Runtime returns no outputs
// from a failed run): for a node named in the error, the model cut before it
// (the shapes before the failure); for an error raised while the session is
// created that names no node ("Pad should be smaller than kernel."), the
// models cut before every layer, which the second pass opens one by one: the
// first that fails places the error on its last layer, as a layer-by-layer
// run of the network meets it. build_onnx.py --cuts writes only those.
//
// ONNX Runtime itself can crash on what a spec-following network never makes
// (a ConvTranspose fed an axis of size 0 dies with SIGSEGV), so models run in
// a worker process (this file with --worker), restarted after the model it
// died on; a crash is placed on a layer the same way as an unplaced error.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const here = dirname(fileURLToPath(import.meta.url));

ort.env.logLevel = 'fatal';

// "Non-zero status code returned while running Conv node. Name:'n3' Status Message: ..."
const RUN_ERROR = /running (\w+) node\. Name:'n(\d+)(?:_\w+)?' Status Message: ([\s\S]*)$/;
// "Load model from ... failed:Node (n3) Op (Conv) [ShapeInferenceError] ..."
const LOAD_ERROR = /Node \(n(\d+)(?:_\w+)?\) Op \((\w+)\) ([\s\S]*)$/;
// "Exception during initialization: /onnxruntime_src/...pool_attributes.h:88 ... was false. Pad should be smaller than kernel."
const SESSION_PREFIX = /^Exception during initialization: /;

// ORT_ENFORCE prefixes its message with the source location and the failed
// condition ("/onnxruntime_src/.../pool_attributes.h:236 int64_t ...
// ComputeOutputSize(...) const out_size >= 0 was false. "), which changes with
// every build; the message after it is what ConvScope quotes. Both are kept.
const ENFORCE_PREFIX = /^\/\S+:\d+ [\s\S]*? was false\. /;
const failure = (index, stage, type, full) =>
  ({ index, stage, type, text: full.trim().replace(SESSION_PREFIX, '').replace(ENFORCE_PREFIX, ''), full_text: full.trim() });

const open = (file) => ort.InferenceSession.create(file, {
  graphOptimizationLevel: 'disabled', logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1,
});
const inputOf = (net) => ({ input: new ort.Tensor('float32', new Float32Array(net.input.reduce((a, b) => a * b, 1)), net.input) });
const shapes = (outputs, n) => Array.from({ length: n }, (_, i) => ({ output: outputs[`l${i}`] }));

// Opens and runs one model: {outputs: {name: dims}} or {error: {index, stage,
// type, full}} (index null when the error names no node).
async function attemptHere(file, net) {
  let session;
  try {
    session = await open(file);
  } catch (e) {
    const m = LOAD_ERROR.exec(e.message);
    if (m) return { error: { index: Number(m[1]), stage: 'load', type: m[2], full: m[3] } };
    if (SESSION_PREFIX.test(e.message)) return { error: { index: null, stage: 'session', type: 'session', full: e.message } };
    return { error: { index: null, stage: 'builder', type: 'load', full: e.message } };
  }
  try {
    const outputs = await session.run(inputOf(net));
    return { outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, Array.from(t.dims)])) };
  } catch (e) {
    const m = RUN_ERROR.exec(e.message);
    if (!m) return { error: { index: null, stage: 'builder', type: 'run', full: e.message } };
    return { error: { index: Number(m[2]), stage: 'run', type: m[1], full: m[3] } };
  } finally {
    await session.release();
  }
}

// --worker JOBS.json: runs [{file, input}, ...] in order, one JSON line each.
if (process.argv[2] === '--worker') {
  const jobs = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  for (let from = Number(process.argv[4] ?? 0), i = from; i < jobs.length; ++i)
    process.stdout.write(JSON.stringify(await attemptHere(jobs[i].file, { input: jobs[i].input })) + '\n');
  process.exit(0);
}

const [casesFile, modelDir] = process.argv.slice(2);
if (!casesFile || !modelDir) {
  console.error('usage: run_onnxruntime.mjs cases.json MODELDIR');
  process.exit(2);
}
const cases = JSON.parse(readFileSync(casesFile, 'utf8'));
const index = JSON.parse(readFileSync(join(modelDir, 'index.json'), 'utf8'));
const crashes = [];

// Runs models in worker processes, in order; a worker that dies (a crash in
// ONNX Runtime) is restarted after the model it died on, which gets
// {error: {stage: 'crash'}}.
function attemptAll(jobs) {
  const jobsFile = join(modelDir, 'jobs.json');
  writeFileSync(jobsFile, JSON.stringify(jobs));
  const out = [];
  while (out.length < jobs.length) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', jobsFile, String(out.length)],
      { encoding: 'utf8', maxBuffer: 1 << 30 });
    const lines = r.stdout.split('\n').filter(Boolean);
    for (const line of lines) out.push(JSON.parse(line));
    if (r.status === 0 && out.length === jobs.length) break;
    if (!r.signal) {
      console.error(`run_onnxruntime: a worker failed (exit ${r.status}):\n${r.stderr || r.error}`);
      process.exit(2);
    }
    crashes.push(`${basename(jobs[out.length].file)} (${r.signal})`);
    out.push({ error: { index: null, stage: 'crash', type: 'crash', full: `ONNX Runtime crashed (${r.signal})` } });
  }
  return out;
}

// First pass: every whole model; what a failure needs from the second.
const first = new Map();
const cuts = {};
const built = cases.filter((k) => index.models[k.id].built > 0);
const firstRuns = attemptAll(built.map((k) => ({ file: `${index.models[k.id].file}.onnx`, input: k.network.input })));
built.forEach((k, i) => first.set(k.id, firstRuns[i]));
for (const kase of built) {
  const info = index.models[kase.id];
  const got = first.get(kase.id);
  if (!got.error || got.error.stage === 'builder') continue;
  if (got.error.index === null) {
    // Unplaced: every cut, to find the first layer the session refuses.
    if (info.built > 1) cuts[kase.id] = Array.from({ length: info.built - 1 }, (_, k) => k + 1);
  } else if (got.error.index > 0) {
    cuts[kase.id] = [got.error.index];
  }
}
const cutCount = Object.values(cuts).reduce((a, ks) => a + ks.length, 0);
if (cutCount > 0) {
  const cutsFile = join(modelDir, 'cuts.json');
  writeFileSync(cutsFile, JSON.stringify(cuts));
  const r = spawnSync('/usr/bin/python3', [join(here, 'build_onnx.py'), casesFile, modelDir, '--cuts', cutsFile],
    { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`run_onnxruntime: building the cut models failed:\n${r.stderr || r.error}`);
    process.exit(2);
  }
}

// Second pass: every cut model at once; then the shapes before each failure,
// and unplaced errors (and crashes) placed.
const cutJobs = Object.entries(cuts).flatMap(([id, ks]) => {
  const kase = cases.find((k) => k.id === id);
  return ks.map((k) => ({ id, k, file: `${index.models[id].file}.${k}.onnx`, input: kase.network.input }));
});
const cutRuns = new Map();
attemptAll(cutJobs).forEach((got, i) => cutRuns.set(`${cutJobs[i].id}.${cutJobs[i].k}`, got));

function resolve(kase) {
  const info = index.models[kase.id];
  const net = kase.network;
  if (info.built === 0) return { layers: [], error: { index: 0, stage: 'builder', type: 'build', text: info.note } };
  const got = first.get(kase.id);
  if (!got.error) {
    const layers = shapes(got.outputs, info.built);
    if (info.built < net.layers.length)
      return { layers, error: { index: info.built, stage: 'builder', type: 'build', text: info.note } };
    return { layers, error: null };
  }
  const e = got.error;
  if (e.stage === 'builder') return { layers: [], error: { index: 0, stage: 'builder', type: e.type, text: e.full } };
  if (e.index !== null) {
    let layers = [];
    if (e.index > 0) {
      const cut = cutRuns.get(`${kase.id}.${e.index}`);
      if (cut.error) return { layers, error: { index: 0, stage: 'builder', type: 'cut', text: cut.error.full } };
      layers = shapes(cut.outputs, e.index);
    }
    return { layers, error: failure(e.index, e.stage, e.type, e.full) };
  }
  // An error that names no node, or a crash: the first cut that fails, layer by layer.
  let before = [];
  for (let k = 1; k <= info.built; ++k) {
    const a = k === info.built ? got : cutRuns.get(`${kase.id}.${k}`);
    if (!a.error) {
      before = shapes(a.outputs, k);
      continue;
    }
    if (a.error.stage === 'builder') return { layers: [], error: { index: 0, stage: 'builder', type: a.error.type, text: a.error.full } };
    const at = a.error.index ?? k - 1;
    return { layers: before.slice(0, at), error: failure(at, a.error.stage, a.error.type, a.error.full) };
  }
  throw new Error(`run_onnxruntime: ${kase.id}: unreachable`);
}

const results = cases.map((kase) => ({ id: kase.id, ...resolve(kase) }));
const placed = Object.keys(cuts).filter((id) => first.get(id)?.error?.stage === 'session').length;
process.stdout.write(JSON.stringify({
  framework: 'onnx',
  version: `onnxruntime-node ${require('onnxruntime-node/package.json').version}, models by onnx ${index.onnx} (opset ${index.opset})`,
  notes: [
    'sizes are checked by ONNX Runtime\'s kernels at run time (models with symbolic input sizes, as exported with dynamic axes); a model with static sizes can fail earlier, at load, in ONNX shape inference',
    `${cutCount} cut models built for the failing cases; ${placed} errors raised while creating the session, which name no node, placed on the first layer whose cut model fails`,
    ...(crashes.length ? [`ONNX Runtime crashed on ${crashes.length} models, placed like an unplaced error: ` +
      results.filter((r) => r.error?.stage === 'crash').map((r) => `${r.id} at layer ${r.error.index} (${r.error.text})`).join(', ')] : []),
  ],
  results,
}) + '\n');
