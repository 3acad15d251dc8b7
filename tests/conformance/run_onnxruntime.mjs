// Runs the models build_onnx.py made in ONNX Runtime (npm onnxruntime-node,
// CPU) and records every layer's output shape, or the failing node and the
// status message ONNX Runtime gives for it.
//
//   node tests/conformance/run_onnxruntime.mjs cases.json MODELDIR > results.json
//
// Graph optimisations are off so that nodes keep their names (the NCHWc
// transformer renames a Conv's output node) and every layer runs as written.
// Sessions run on one thread: ONNX Runtime otherwise starts thread pools for
// every session, which made a case cost ~130 ms instead of ~5 ms.
//
// The first failing layer in list order, as a forward pass that runs the
// layers in that order meets it. ONNX Runtime returns no outputs from a
// failed run, loads the whole model first (a node that fails at load hides
// one that would fail earlier at run) and may schedule independent branches
// in another order, so the runner works in rounds. The first runs every
// whole model (and every graph's model with fixed input sizes, below). A
// model that fails at a node it names (layer k) needs the model cut before
// k: the next round runs it, until a cut runs clean; the layers before the
// failure take their shapes from that clean run. An error raised while the
// session is created that names no node ("Pad should be smaller than
// kernel.") needs the models cut before every layer: the first that fails
// places the error on its last layer. build_onnx.py --cuts writes only the
// cut models a round needs, for the failing cases.
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
const RUN_ERROR = /running (\w+) node\. Name:'([^']*)' Status Message: ([\s\S]*)$/;
// "Load model from ... failed:Node (n3) Op (Conv) [ShapeInferenceError] ..."
const LOAD_ERROR = /Node \(([^)]*)\) Op \((\w+)\) ([\s\S]*)$/;
// "Exception during initialization: /onnxruntime_src/...pool_attributes.h:88 ... was false. Pad should be smaller than kernel."
const SESSION_PREFIX = /^Exception during initialization: /;

// ORT_ENFORCE prefixes its message with the source location and the failed
// condition ("/onnxruntime_src/.../pool_attributes.h:236 int64_t ...
// ComputeOutputSize(...) const out_size >= 0 was false. "), which changes with
// every build; the message after it is what ConvScope quotes for the layers'
// own checks (`text`; `full_text` keeps it whole). ConvScope quotes the
// merges' texts whole, as ONNX Runtime prints them (op, node name and
// location), so `message` keeps that too: from "Non-zero status code ..." at
// run time, from "Node (...) Op (...)" at load.
const ENFORCE_PREFIX = /^\/\S+:\d+ [\s\S]*? was false\. /;
const stripped = (full) => full.trim().replace(SESSION_PREFIX, '').replace(ENFORCE_PREFIX, '');

// One thread per session (see above).
const open = (file) => ort.InferenceSession.create(file, {
  graphOptimizationLevel: 'disabled', logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1,
});
const inputOf = (input) => ({ input: new ort.Tensor('float32', new Float32Array(input.reduce((a, b) => a * b, 1)), input) });

// Opens and runs one model: {outputs: {name: dims}}, {failure: {node, stage,
// type, text, full_text, message}} for an error that names its node,
// {unplaced: {stage, type, text, full_text}} for one raised while the session
// is created, which names none, or {unparsed, stage} for a text the runner
// cannot read.
async function attemptHere(file, input) {
  let session;
  try {
    session = await open(file);
  } catch (e) {
    const m = LOAD_ERROR.exec(e.message);
    if (m) return { failure: { node: m[1], stage: 'load', type: m[2], text: stripped(m[3]), full_text: m[3].trim(), message: m[0].trim() } };
    if (SESSION_PREFIX.test(e.message))
      return { unplaced: { stage: 'session', type: 'session', text: stripped(e.message), full_text: e.message.trim() } };
    return { unparsed: e.message, stage: 'load' };
  }
  try {
    const outputs = await session.run(inputOf(input));
    return { outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, Array.from(t.dims)])) };
  } catch (e) {
    const m = RUN_ERROR.exec(e.message);
    if (!m) return { unparsed: e.message, stage: 'run' };
    const whole = e.message.slice(e.message.indexOf('Non-zero status code')).trim();
    return { failure: { node: m[2], stage: 'run', type: m[1], text: stripped(m[3]), full_text: m[3].trim(), message: whole } };
  } finally {
    await session.release?.();
  }
}

// --worker JOBS.json FROM: runs jobs [{file, input}, ...] from FROM on, in
// order, one JSON line each.
if (process.argv[2] === '--worker') {
  const jobs = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  for (let i = Number(process.argv[4] ?? 0); i < jobs.length; ++i)
    process.stdout.write(JSON.stringify(await attemptHere(jobs[i].file, jobs[i].input)) + '\n');
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
// ONNX Runtime) is restarted after the model it died on, which gets an
// unplaced error of stage 'crash'.
function attemptAll(jobs) {
  if (!jobs.length) return [];
  const jobsFile = join(modelDir, 'jobs.json');
  writeFileSync(jobsFile, JSON.stringify(jobs));
  const out = [];
  while (out.length < jobs.length) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', jobsFile, String(out.length)],
      { encoding: 'utf8', maxBuffer: 1 << 30 });
    for (const line of r.stdout.split('\n').filter(Boolean)) out.push(JSON.parse(line));
    if (r.status === 0 && out.length === jobs.length) break;
    if (!r.signal) {
      console.error(`run_onnxruntime: a worker failed (exit ${r.status}):\n${r.stderr || r.error}`);
      process.exit(2);
    }
    crashes.push(`${basename(jobs[out.length].file)} (${r.signal})`);
    const text = `ONNX Runtime crashed (${r.signal})`;
    out.push({ unplaced: { stage: 'crash', type: 'crash', text, full_text: text } });
  }
  return out;
}

// Writes the cut models {id: [k, ...]} not written yet.
const written = new Set();
let cutCount = 0;
function buildCuts(wanted) {
  const cuts = {};
  for (const [id, ks] of Object.entries(wanted)) {
    const fresh = [...new Set(ks)].filter((k) => !written.has(`${id}.${k}`));
    if (fresh.length) cuts[id] = fresh;
  }
  if (!Object.keys(cuts).length) return;
  const cutsFile = join(modelDir, 'cuts.json');
  writeFileSync(cutsFile, JSON.stringify(cuts));
  const r = spawnSync('/usr/bin/python3', [join(here, 'build_onnx.py'), casesFile, modelDir, '--cuts', cutsFile],
    { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    console.error(`run_onnxruntime: building the cut models failed:\n${r.stderr || r.error}`);
    process.exit(2);
  }
  for (const [id, ks] of Object.entries(cuts)) for (const k of ks) written.add(`${id}.${k}`);
  cutCount += Object.values(cuts).reduce((a, ks) => a + ks.length, 0);
}

const file = (info, k) => (k === undefined ? `${info.file}.onnx` : `${info.file}.${k}.onnx`);
const builderError = (index, type, text) => ({ index, stage: 'builder', type, text });

// Each case's search for its first failure. `probe`: the model of the
// layers before `limit` (all of them, or a cut) whose run is awaited;
// `scan`: the cuts 1..limit-1 awaited, `last` the failing run of the model
// with `limit` layers. Settles `outputs` (the clean run the layers before the
// failure take their shapes from) and `error`, or a builder error.
const states = new Map();
for (const kase of cases) {
  const info = index.models[kase.id];
  const s = { kase, info, error: null, outputs: {}, done: false, placedBySession: false };
  if (info.built === 0) Object.assign(s, { done: true, builder: builderError(0, 'build', info.note) });
  else Object.assign(s, { mode: 'probe', limit: info.built });
  states.set(kase.id, s);
}

// A failure at a node the runner names: at layer k, then the cut before k.
function placed(s, a) {
  const k = s.info.nodes[a.failure.node.split('__')[0]];
  if (k === undefined || k >= s.limit)
    return Object.assign(s, { done: true, builder: builderError(0, a.failure.stage, `unknown failing node ${a.failure.node}: ${a.failure.text}`) });
  const { node, ...rest } = a.failure;
  s.error = { index: k, ...rest };
  if (k === 0) return Object.assign(s, { done: true, outputs: {} });
  return Object.assign(s, { mode: 'probe', limit: k });
}

function afterProbe(s, a) {
  if (a.unparsed !== undefined) return Object.assign(s, { done: true, builder: builderError(s.error ? s.error.index : 0, a.stage, a.unparsed) });
  if (a.outputs) return Object.assign(s, { done: true, outputs: a.outputs });
  if (a.failure) return placed(s, a);
  // Unplaced (raised while creating the session, or a crash).
  if (a.unplaced.stage === 'session') s.placedBySession = true;
  if (s.limit === 1) {
    s.error = { index: 0, ...a.unplaced };
    return Object.assign(s, { done: true, outputs: {} });
  }
  return Object.assign(s, { mode: 'scan', last: a });
}

function afterScan(s, runs) {
  // runs[k - 1]: the cut before layer k, k = 1..limit-1; then the failing model.
  runs.push(s.last);
  let before = {};
  for (let k = 1; k <= runs.length; ++k) {
    const a = runs[k - 1];
    if (a.outputs) {
      before = a.outputs;
      continue;
    }
    if (a.unparsed !== undefined) return Object.assign(s, { done: true, builder: builderError(k - 1, a.stage, a.unparsed) });
    if (a.failure) {
      // Nothing before layer k - 1 fails (the cut before it ran clean).
      const r = placed(Object.assign(s, { limit: k }), a);
      return r.done ? r : Object.assign(s, { done: true, outputs: before });
    }
    s.error = { index: k - 1, ...a.unplaced };
    return Object.assign(s, { done: true, outputs: before });
  }
  throw new Error(`run_onnxruntime: ${s.kase.id}: no failing model in the scan`);
}

// Round 0 also runs each graph with the input's sizes fixed in the model (as
// torch.onnx.export writes one by default), where ONNX shape inference checks
// the merges while the model loads: `static` says where that model fails
// first and how ({index, stage, type, text, message}), {unplaced: stage, ...}
// for an error that names no node, or {ok: true}.
const staticJobs = cases.filter((k) => index.models[k.id].static)
  .map((k) => ({ id: k.id, file: `${index.models[k.id].file}.static.onnx`, input: k.network.input }));
const statics = new Map();
for (let round = 0; ; ++round) {
  const pending = [...states.values()].filter((s) => !s.done);
  if (!pending.length) break;
  if (round > 0) {
    const wanted = {};
    for (const s of pending) {
      const ks = s.mode === 'probe' ? [s.limit] : Array.from({ length: s.limit - 1 }, (_, i) => i + 1);
      (wanted[s.kase.id] ??= []).push(...ks);
    }
    buildCuts(wanted);
  }
  const jobs = pending.flatMap((s) => (s.mode === 'probe'
    ? [{ id: s.kase.id, file: file(s.info, s.limit === s.info.built && round === 0 ? undefined : s.limit), input: s.kase.network.input }]
    : Array.from({ length: s.limit - 1 }, (_, i) => ({ id: s.kase.id, file: file(s.info, i + 1), input: s.kase.network.input }))));
  const extra = round === 0 ? staticJobs : [];
  const ran = attemptAll([...jobs, ...extra]);
  extra.forEach((j, i) => statics.set(j.id, ran[jobs.length + i]));
  const byCase = new Map();
  jobs.forEach((j, i) => (byCase.get(j.id) ?? byCase.set(j.id, []).get(j.id)).push(ran[i]));
  for (const s of pending) {
    const runs = byCase.get(s.kase.id);
    if (s.mode === 'probe') afterProbe(s, runs[0]);
    else afterScan(s, runs);
  }
}

function staticResult(kase) {
  const a = statics.get(kase.id);
  if (!a) return undefined;
  if (a.outputs) return { ok: true };
  if (a.unparsed !== undefined) return { unparsed: a.unparsed, stage: a.stage };
  if (a.unplaced) return { unplaced: true, ...a.unplaced };
  const { node, ...rest } = a.failure;
  return { index: index.models[kase.id].nodes[node.split('__')[0]], ...rest };
}

function resolve(s) {
  const { kase, info } = s;
  const net = kase.network;
  if (s.builder) return { layers: [], error: s.builder };
  let error = s.error;
  const outputs = s.outputs;
  const shapeOf = (name) => (name === 'input' ? net.input : outputs[`l${info.nodes[name]}`] ?? []);
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
  const layers = Array.from({ length: end }, (_, i) => ({ output: outputs[`l${i}`] }));
  if (!error && info.built < net.layers.length) return { layers, error: builderError(info.built, 'build', info.note) };
  return { layers, error };
}

const results = cases.map((kase) => {
  const result = { id: kase.id, ...resolve(states.get(kase.id)) };
  const fixed = staticResult(kase);
  if (fixed) result.static = fixed;
  return result;
});
const placedBySession = [...states.values()].filter((s) => s.placedBySession).length;
process.stdout.write(JSON.stringify({
  framework: 'onnx',
  version: `onnxruntime-node ${require('onnxruntime-node/package.json').version}, models by onnx ${index.onnx} (opset ${index.opset})`,
  notes: [
    'sizes are checked by ONNX Runtime\'s kernels at run time (models with symbolic input sizes, as exported with dynamic axes); a model with static sizes can fail earlier, at load, in ONNX shape inference',
    'graphs also run with fixed input sizes (as torch.onnx.export writes a model by default), where a merge that does not fit is refused while the model loads',
    `${cutCount} cut models built for the failing cases; ${placedBySession} errors raised while creating the session, which name no node, placed on the first layer whose cut model fails`,
    ...(crashes.length ? [`ONNX Runtime crashed on ${crashes.length} models, placed like an unplaced error: ${crashes.join(', ')}; ` +
      results.filter((r) => r.error?.stage === 'crash').map((r) => `${r.id} at layer ${r.error.index}`).join(', ')] : []),
  ],
  results,
}) + '\n');
