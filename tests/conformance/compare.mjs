// Compares what a real framework did with what `convscope analyze` says, case
// by case: every layer's output shape up to the first failure, which layer
// fails first, and (where the runner gives the framework's own text) the
// error text, exactly and as a template (numbers replaced by '#').
//
// A difference counts as agreement only where versions.json records it: a
// known difference between the framework version that ran here and the
// current version ConvScope follows, matched by patterns whose numbers must
// agree on both sides. Nothing else is excused.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function analyze(cli, network) {
  return new Promise((resolve, reject) => {
    const child = spawn(cli, ['analyze', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 2) return resolve({ malformed: err.trim() });
      if (code !== 0 && code !== 1) return reject(new Error(`convscope exited ${code}: ${err}`));
      resolve(JSON.parse(out));
    });
    child.stdin.end(JSON.stringify(network));
  });
}

// Runs fn over items with at most `width` in flight.
export async function pool(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

export const template = (text) => String(text).replace(/-?\d+/g, '#');

const sameShape = (a, b) => Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);

function groupsAgree(a, b) {
  for (const [k, v] of Object.entries(a.groups ?? {}))
    if (b.groups && k in b.groups && b.groups[k] !== v) return false;
  return true;
}

const AXES = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

// The version-table entry that explains a difference, or null. `ctx.at` says
// where the two first part: 'text' (same failing layer, other words),
// 'convscope_fails' (the framework ran the layer ConvScope rejects),
// 'framework_fails' (ConvScope accepts the layer the framework rejects) or
// 'shape_differs'. Every pattern must match, with equal numbers on both sides.
function versionEntry(versions, framework, ctx) {
  for (const entry of versions) {
    if (entry.framework !== framework || entry.at !== ctx.at) continue;
    if (entry.layer_type && entry.layer_type !== ctx.layerType) continue;
    if (entry.rank && entry.rank !== ctx.rank) continue;
    const observed = entry.observed.text ? new RegExp(entry.observed.text).exec(ctx.frameworkText ?? '') : { groups: {} };
    let current = entry.current.text ? new RegExp(entry.current.text).exec(ctx.convscopeText ?? '') : { groups: {} };
    if (current && entry.current.warning) {
      // ConvScope's warning, whose numbers (and, with quotes_observed, the
      // framework's whole text) must be the framework's.
      const w = (ctx.convscopeWarnings ?? []).map((x) => ({ x, m: new RegExp(entry.current.warning).exec(x) }))
        .find(({ x, m }) => m && (!entry.current.quotes_observed || x.includes(`"${ctx.frameworkText}"`)));
      current = w ? { groups: { ...current.groups, ...w.m.groups } } : null;
    }
    if (!observed || !current || !groupsAgree(observed, current)) continue;
    if (entry.observed.output === 'has_zero' && !(ctx.frameworkOutput ?? []).some((d) => d === 0)) continue;
    // The framework ran the layer and produced exactly the shape ConvScope names.
    if (entry.observed.output === 'shape' && !sameShape(JSON.parse(current.groups?.shape ?? 'null'), ctx.frameworkOutput)) continue;
    if (entry.observed.output === 'axis_size') {
      // The framework ran the layer and produced the size ConvScope names on the axis it names.
      const axis = AXES[ctx.rank]?.indexOf(current.groups?.axis);
      const channelsLast = framework === 'tensorflow';
      const size = ctx.frameworkOutput?.[(channelsLast ? 1 : 2) + axis];
      if (axis === undefined || axis < 0 || size !== Number(current.groups.out)) continue;
    }
    if (entry.current.output_zero && Number(current.groups?.out) !== 0) continue;
    return entry;
  }
  return null;
}

// The texts ConvScope lists for the situation the runner created. Most
// layers have one text per framework (framework_error). Where a framework
// fails in different places for one mistake, ConvScope lists each with its
// situation in the source, first the one a user meets first: ONNX Runtime
// refuses a merge while loading a model whose sizes are fixed ("loading"),
// and fails in the kernel while running one with dynamic sizes ("running",
// the second text). The runner builds models with symbolic input sizes, so a
// mismatch of sizes computed from them is met at run time, one of the
// weights' fixed channels already at load: a failure at load is compared
// with the texts whose source says "load", one at run with the texts whose
// source says "running" where there are any, else with framework_error. A
// runner that names the source of its text (tfjs: "TensorFlow.js layers")
// is compared with ConvScope's text from exactly that source.
export function candidateTexts(layer, stage, source) {
  const all = [{ source: layer.framework_error_source ?? '', text: layer.framework_error },
    ...(layer.framework_error_others ?? [])].filter((t) => t.text);
  if (source) return all.filter((t) => t.source === source).map((t) => t.text);
  if (stage === 'load') return all.filter((t) => /load/i.test(t.source)).map((t) => t.text);
  const running = all.filter((t) => /running/i.test(t.source));
  return (running.length ? running : all.slice(0, 1)).map((t) => t.text);
}

// ConvScope's state of layer i: 'output', 'failed' or 'skipped'.
function convscopeState(report, i) {
  const errors = report.errors ?? (report.first_error !== null && report.first_error !== undefined ? [report.first_error] : []);
  if (errors.includes(i)) return 'failed';
  const l = report.layers[i];
  if (l?.status === 'skipped') return 'skipped';
  if ((l?.output === null || l?.output === undefined) && errors.some((e) => e < i)) return 'skipped';
  return 'output';
}

// The framework's state of layer i. A runner that goes on past a failure
// (PyTorch: `errors`, and every layer {output} | {failed} | {skipped}) says
// it for every layer; one that stops (ONNX Runtime) for the layers up to its
// first failure, in list order.
function frameworkState(result, i) {
  if (result.errors) {
    const l = result.layers[i] ?? {};
    return l.failed ? 'failed' : l.skipped ? 'skipped' : 'output';
  }
  return result.error && result.error.index === i ? 'failed' : 'output';
}

const errorAt = (result, i) => (result.errors ?? (result.error ? [result.error] : [])).find((e) => e.index === i);

// The error text of a layer that fails in both: {kind: 'exact' | 'template' |
// 'differs' | 'version' | 'contract', entry, why}.
function compareText(framework, kase, i, fwErr, csLayer, versions, ctx) {
  const layer = kase.network.layers[i];
  if (fwErr.stage === 'contract') {
    // The contract refuses what the framework has no error for: ConvScope must quote none.
    if (!csLayer.framework_error && !(csLayer.framework_error_others ?? []).length) return { kind: 'contract' };
    return { kind: 'differs', why: `layer ${i} (${layer.type}): the contract refuses it (${fwErr.text}) and ${framework} has no text for it; ConvScope quotes ${JSON.stringify(csLayer.framework_error)}` };
  }
  const candidates = candidateTexts(csLayer, fwErr.stage, fwErr.source);
  if (candidates.some((t) => t === fwErr.text || (fwErr.message !== undefined && t === fwErr.message))) return { kind: 'exact' };
  const entry = versionEntry(versions, framework, { ...ctx, frameworkText: fwErr.text });
  if (entry) return { kind: 'version', entry: entry.id };
  return {
    kind: candidates.some((t) => template(t) === template(fwErr.text) || (fwErr.message && template(t) === template(fwErr.message))) ? 'template' : 'differs',
    why: `layer ${i} (${layer.type}) text (${fwErr.stage}): ${framework} says ${JSON.stringify(fwErr.message ?? fwErr.text)}; ConvScope says ${JSON.stringify(candidates[0] ?? csLayer.framework_error ?? null)}`,
  };
}

// One case: {verdict: 'agree' | 'version' | 'differ', why, entry, text (the
// first failing layer's: 'exact' | 'template' | 'differs' | 'version' |
// 'contract' | null), texts (every layer failing in both)}.
//
// Layers are compared in list order (the order a forward() runs them):
// state (ran, failed, skipped because an input failed) and output shape.
// For a runner that goes on past failures (PyTorch) that is every layer, so
// the whole `errors` list and the shapes of independent branches after a
// failure are compared; for one that stops, the layers up to its failure.
// Where the two first part, the version table may explain it (then nothing
// after it is compared); every error text of a layer failing in both is
// compared.
function compareRun(framework, kase, result, report, versions, { texts }) {
  if (report.malformed) return { verdict: 'differ', why: `ConvScope refused the network: ${report.malformed}` };
  const builder = (result.errors ?? (result.error ? [result.error] : [])).find((e) => e.stage === 'builder');
  if (result.error && result.error.stage === 'builder')
    return { verdict: 'differ', why: `the runner could not build layer ${result.error.index}: ${result.error.text}` };
  const layers = kase.network.layers;
  const rank = kase.network.input.length - 2;
  const ctxAt = (i, at) => ({
    at, rank, layerType: layers[i]?.type, frameworkOutput: result.layers[i]?.output,
    frameworkText: errorAt(result, i)?.text ?? null,
    convscopeText: report.layers[i]?.framework_error ?? '', convscopeWarnings: report.layers[i]?.warnings,
  });
  const known = builder ? builder.index : result.errors ? layers.length : result.error ? result.error.index + 1 : layers.length;
  const failingInBoth = [];
  for (let i = 0; i < known; ++i) {
    const fs = frameworkState(result, i), cs = convscopeState(report, i);
    if (fs === 'output' && cs === 'output') {
      const got = result.layers[i]?.output, want = report.layers[i].output;
      if (sameShape(got, want)) continue;
      const entry = versionEntry(versions, framework, ctxAt(i, 'shape_differs'));
      if (entry) return { verdict: 'version', entry: entry.id, text: null };
      return { verdict: 'differ', why: `layer ${i} (${layers[i].type}): ${framework} gives ${JSON.stringify(got)}, ConvScope ${JSON.stringify(want)}` };
    }
    if (fs === cs) {
      if (fs === 'failed') failingInBoth.push(i);
      continue;
    }
    const at = cs === 'failed' ? 'convscope_fails' : fs === 'failed' ? 'framework_fails' : 'state';
    const entry = at === 'state' ? null : versionEntry(versions, framework, ctxAt(i, at));
    if (entry) return { verdict: 'version', entry: entry.id, text: null };
    const err = errorAt(result, i);
    const fwSays = fs === 'failed' ? `fails at layer ${i} (${layers[i].type}): ${err.text}`
      : fs === 'skipped' ? `skips layer ${i} (${layers[i].type})`
      : i === layers.length - 1 && !result.error ? 'runs every layer' : `runs layer ${i} (${layers[i].type}) to ${JSON.stringify(result.layers[i]?.output)}`;
    const csSays = cs === 'failed' ? `says layer ${i} (${layers[i].type}) fails: ${report.layers[i].framework_error ?? ''}`
      : cs === 'skipped' ? `skips layer ${i} (${layers[i].type})` : `says layer ${i} (${layers[i].type}) gives ${JSON.stringify(report.layers[i].output)}`;
    return { verdict: 'differ', why: `${framework} ${fwSays}; ConvScope ${csSays}` };
  }
  // A runner may give no text for a failure it cannot word as the framework
  // does (tfjs for Keras): that layer is compared by failing layer only.
  const worded = failingInBoth.filter((i) => errorAt(result, i).text != null);
  if (worded.length === 0 || !texts) return { verdict: 'agree', text: null, texts: [] };
  const verdicts = worded.map((i) =>
    compareText(framework, kase, i, errorAt(result, i), report.layers[i], versions, ctxAt(i, 'text')));
  const first = verdicts[0];
  const differing = verdicts.find((v) => v.kind === 'differs' || v.kind === 'template');
  const kinds = verdicts.map((v) => v.kind);
  if (differing) return { verdict: 'differ', text: first.kind, texts: kinds, why: differing.why };
  const excused = verdicts.find((v) => v.kind === 'version');
  if (excused) return { verdict: 'version', entry: excused.entry, text: first.kind, texts: kinds };
  return { verdict: 'agree', text: first.kind, texts: kinds };
}

const MERGES = new Set(['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum', 'concat', 'crop_to', 'pad_to',
  'resize_to']);

// The same graph with the input's sizes fixed (ONNX Runtime: `static`):
// where the model first fails at a merge, ConvScope must fail there too with
// the text it lists for that situation (load: "loading a model with fixed
// input shapes"). A first failure elsewhere, or at a merge whose input
// ConvScope already finds failing, is not compared: ConvScope quotes ONNX
// Runtime's kernels, not ONNX shape inference, for the other layers.
function compareFixed(kase, result, fixed, report) {
  if (fixed.ok) return { kind: 'clean' };
  // An error that names no node (raised while creating the session, or a
  // crash) comes after loading, where the merges are checked: the model
  // with symbolic sizes must meet the same, which the run compared.
  if (fixed.unplaced) {
    if (result.error?.stage === fixed.stage && result.error.text === fixed.text) return { kind: 'not_merge' };
    return { kind: 'differs', why: `with fixed input sizes ONNX Runtime fails with no node named (${fixed.stage}): ${fixed.text}; with symbolic sizes it ${result.error ? `fails (${result.error.stage}): ${result.error.text}` : 'runs clean'}` };
  }
  // ONNX Runtime refuses a model whose inferred sizes go negative (a window
  // larger than its input) without naming a node: not a merge's failure.
  if (fixed.unparsed !== undefined && /^Invalid dimension: -\d+/.test(fixed.unparsed.replace(/^.*failed:\s*/s, '')))
    return { kind: 'not_merge' };
  if (fixed.unparsed !== undefined || fixed.index === undefined)
    return { kind: 'differs', why: `with fixed input sizes the runner could not read the failure (${fixed.stage}): ${fixed.unparsed ?? fixed.text}` };
  const k = fixed.index;
  const layer = kase.network.layers[k];
  if (!MERGES.has(layer.type)) return { kind: 'not_merge' };
  const state = convscopeState(report, k);
  if (state === 'skipped') return { kind: 'skipped' };
  const says = fixed.message ?? fixed.text;
  if (state === 'output')
    return { kind: 'differs', why: `with fixed input sizes ONNX Runtime refuses layer ${k} (${layer.type}) (${fixed.stage}): ${says}; ConvScope says it gives ${JSON.stringify(report.layers[k].output)}` };
  const candidates = candidateTexts(report.layers[k], fixed.stage);
  if (candidates.some((t) => t === fixed.text || t === fixed.message)) return { kind: 'exact' };
  return { kind: 'differs', why: `layer ${k} (${layer.type}) text with fixed input sizes (${fixed.stage}): ONNX Runtime says ${JSON.stringify(says)}; ConvScope says ${JSON.stringify(candidates[0] ?? report.layers[k].framework_error ?? null)}` };
}

export function compareCase(framework, kase, result, report, versions, options) {
  const o = compareRun(framework, kase, result, report, versions, options);
  if (!result.static || o.verdict === 'differ' || report.malformed) return o;
  const f = compareFixed(kase, result, result.static, report);
  if (f.kind === 'differs') return { ...o, verdict: 'differ', fixed: f.kind, why: f.why };
  return { ...o, fixed: f.kind };
}

export function loadVersions(path) {
  const table = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(table.differences)) throw new Error(`${path}: expected {"differences": [...]}`);
  return table.differences;
}

// Summary lines and whether the framework passes.
export function summarise(framework, version, cases, outcomes, { minCases, minChains, minGraphs = 0, everyRank = true, texts }) {
  const lines = [];
  const n = outcomes.length;
  const agree = outcomes.filter((o) => o.verdict === 'agree').length;
  const version_ = outcomes.filter((o) => o.verdict === 'version');
  const differ = outcomes.map((o, i) => ({ o, i })).filter(({ o }) => o.verdict === 'differ');
  const chains = cases.filter((c) => c.category === 'chain').length;
  const byRank = [1, 2, 3].map((r) => cases.filter((c) => c.rank === r).length);
  const failing = outcomes.filter((o, i) => o.text !== null && o.text !== undefined).length;
  const exact = outcomes.filter((o) => o.text === 'exact').length;
  const tmpl = outcomes.filter((o) => o.text === 'exact' || o.text === 'template').length;
  const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) : '100.0');
  const graphIdx = cases.map((c, i) => (c.graph ? i : -1)).filter((i) => i >= 0);
  lines.push(`${framework} (${version}): ${n} cases (${chains} chains, ${graphIdx.length} graphs; 1-D ${byRank[0]}, 2-D ${byRank[1]}, 3-D ${byRank[2]}), ` +
    `agreement ${pct(agree + version_.length, n)} % (${agree} agree, ${version_.length} under the version table, ${differ.length} differ)`);
  if (texts)
    lines.push(`  error texts at the failing layer: ${failing} compared, exact ${exact} (${pct(exact, failing)} %), ` +
      `as template ${tmpl} (${pct(tmpl, failing)} %), ${version_.filter((o) => o.text === 'version').length} by the version table`);
  if (graphIdx.length) {
    const go = graphIdx.map((i) => outcomes[i]);
    const gAgree = go.filter((o) => o.verdict === 'agree').length;
    const gVersion = go.filter((o) => o.verdict === 'version').length;
    const gDiffer = go.filter((o) => o.verdict === 'differ').length;
    const failingLayers = go.reduce((a, o) => a + (o.texts?.length ?? 0), 0);
    const exactLayers = go.reduce((a, o) => a + (o.texts?.filter((k) => k === 'exact').length ?? 0), 0);
    const contract = go.reduce((a, o) => a + (o.texts?.filter((k) => k === 'contract').length ?? 0), 0);
    const several = go.filter((o) => (o.texts?.length ?? 0) > 1).length;
    const byCat = {};
    for (const i of graphIdx) byCat[cases[i].category] = (byCat[cases[i].category] ?? 0) + 1;
    const gRank = [1, 2, 3].map((r) => graphIdx.filter((i) => cases[i].rank === r).length);
    lines.push(`  graphs: ${graphIdx.length} cases (1-D ${gRank[0]}, 2-D ${gRank[1]}, 3-D ${gRank[2]}), agreement ${pct(gAgree + gVersion, graphIdx.length)} % ` +
      `(${gAgree} agree, ${gVersion} under the version table, ${gDiffer} differ)`);
    lines.push(`    by category: ${Object.entries(byCat).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    if (texts)
      lines.push(`    failing layers compared: ${failingLayers} (${exactLayers} texts exact, ${contract} refused by the contract with no framework text), ` +
        `${several} cases with more than one error compared`);
    const fixed = go.filter((o) => o.fixed !== undefined);
    if (fixed.length) {
      const count = (k) => fixed.filter((o) => o.fixed === k).length;
      lines.push(`    with fixed input sizes: ${fixed.length} models, ${count('exact')} refused at a merge with ConvScope's text exactly, ` +
        `${count('clean')} run clean, ${count('not_merge') + count('skipped')} fail first at a layer not compared this way`);
    }
  }
  const byEntry = {};
  for (const o of version_) byEntry[o.entry] = (byEntry[o.entry] ?? 0) + 1;
  for (const [id, count] of Object.entries(byEntry)) lines.push(`  version table "${id}": ${count} cases`);
  for (const { o, i } of differ.slice(0, 25)) lines.push(`  DIFFER ${cases[i].id} [${cases[i].category}]: ${o.why}`);
  if (differ.length > 25) lines.push(`  ... and ${differ.length - 25} more`);
  let ok = differ.length === 0;
  if (n < minCases) { lines.push(`  FAIL: ${n} cases, fewer than ${minCases}`); ok = false; }
  if (chains < minChains) { lines.push(`  FAIL: ${chains} chains, fewer than ${minChains}`); ok = false; }
  if (graphIdx.length < minGraphs) { lines.push(`  FAIL: ${graphIdx.length} graphs, fewer than ${minGraphs}`); ok = false; }
  if (everyRank && (byRank[0] === 0 || byRank[2] === 0)) { lines.push('  FAIL: no 1-D or no 3-D case'); ok = false; }
  return { ok, lines };
}
