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

// One case: {verdict: 'agree' | 'version' | 'differ', why, entry, text: 'exact' | 'template' | 'differs' | null}.
export function compareCase(framework, kase, result, report, versions, { texts }) {
  if (report.malformed) return { verdict: 'differ', why: `ConvScope refused the network: ${report.malformed}` };
  if (result.error && result.error.stage === 'builder')
    return { verdict: 'differ', why: `the runner could not build layer ${result.error.index}: ${result.error.text}` };
  const layers = kase.network.layers;
  const rank = kase.network.input.length - 2;
  const fwFail = result.error ? result.error.index : null;
  const csFail = report.first_error ?? null;
  const ctxAt = (i, at) => ({
    at, rank, layerType: layers[i]?.type, frameworkOutput: result.layers[i]?.output,
    frameworkText: result.error?.index === i ? result.error.text : null,
    convscopeText: report.layers[i]?.framework_error ?? '', convscopeWarnings: report.layers[i]?.warnings,
  });
  const upto = Math.min(fwFail ?? layers.length, csFail ?? layers.length);
  for (let i = 0; i < upto; ++i) {
    const got = result.layers[i]?.output, want = report.layers[i].output;
    if (!sameShape(got, want)) {
      const entry = versionEntry(versions, framework, ctxAt(i, 'shape_differs'));
      if (entry) return { verdict: 'version', entry: entry.id, text: null };
      return { verdict: 'differ', why: `layer ${i} (${layers[i].type}): ${framework} gives ${JSON.stringify(got)}, ConvScope ${JSON.stringify(want)}` };
    }
  }
  const csText = csFail !== null ? report.layers[csFail].framework_error ?? '' : null;
  if (fwFail !== csFail) {
    const at = fwFail === null || (csFail !== null && csFail < fwFail) ? csFail : fwFail;
    const entry = versionEntry(versions, framework, ctxAt(at, at === csFail ? 'convscope_fails' : 'framework_fails'));
    if (entry) return { verdict: 'version', entry: entry.id, text: null };
    const fwSays = fwFail === null ? 'runs every layer' : `fails at layer ${fwFail} (${layers[fwFail].type}): ${result.error.text}`;
    const csSays = csFail === null ? 'says every layer is valid' : `says layer ${csFail} (${layers[csFail].type}) fails: ${csText}`;
    return { verdict: 'differ', why: `${framework} ${fwSays}; ConvScope ${csSays}` };
  }
  // A runner may give no text for a failure it cannot word as the framework does (tfjs for Keras).
  if (fwFail === null || !texts || result.error.text == null) return { verdict: 'agree', text: null };
  const fwText = result.error.text;
  // A model that fails while loading (ONNX Runtime's shape inference) is
  // compared with the load-time text ConvScope gives, not the run-time one;
  // a text the runner names the source of, with ConvScope's text from it.
  const others = report.layers[csFail].framework_error_others ?? [];
  const candidates = result.error.stage === 'load'
    ? others.filter((o) => /at load/.test(o.source)).map((o) => o.text)
    : result.error.source
      ? [{ source: report.layers[csFail].framework_error_source, text: csText }, ...others]
        .filter((o) => o.source === result.error.source).map((o) => o.text)
      : [csText];
  if (candidates.includes(fwText)) return { verdict: 'agree', text: 'exact' };
  const entry = versionEntry(versions, framework, { ...ctxAt(fwFail, 'text'), frameworkText: fwText });
  if (entry) return { verdict: 'version', entry: entry.id, text: 'version' };
  return {
    verdict: 'differ',
    text: candidates.some((t) => template(t) === template(fwText)) ? 'template' : 'differs',
    why: `layer ${fwFail} (${layers[fwFail].type}) text (${result.error.stage}): ${framework} says ${JSON.stringify(fwText)}; ConvScope says ${JSON.stringify(candidates[0] ?? csText)}`,
  };
}

export function loadVersions(path) {
  const table = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(table.differences)) throw new Error(`${path}: expected {"differences": [...]}`);
  return table.differences;
}

// Summary lines and whether the framework passes.
export function summarise(framework, version, cases, outcomes, { minCases, minChains, texts }) {
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
  lines.push(`${framework} (${version}): ${n} cases (${chains} chains; 1-D ${byRank[0]}, 2-D ${byRank[1]}, 3-D ${byRank[2]}), ` +
    `agreement ${pct(agree + version_.length, n)} % (${agree} agree, ${version_.length} under the version table, ${differ.length} differ)`);
  if (texts)
    lines.push(`  error texts at the failing layer: ${failing} compared, exact ${exact} (${pct(exact, failing)} %), ` +
      `as template ${tmpl} (${pct(tmpl, failing)} %), ${version_.filter((o) => o.text === 'version').length} by the version table`);
  const byEntry = {};
  for (const o of version_) byEntry[o.entry] = (byEntry[o.entry] ?? 0) + 1;
  for (const [id, count] of Object.entries(byEntry)) lines.push(`  version table "${id}": ${count} cases`);
  for (const { o, i } of differ.slice(0, 25)) lines.push(`  DIFFER ${cases[i].id} [${cases[i].category}]: ${o.why}`);
  if (differ.length > 25) lines.push(`  ... and ${differ.length - 25} more`);
  let ok = differ.length === 0;
  if (n < minCases) { lines.push(`  FAIL: ${n} cases, fewer than ${minCases}`); ok = false; }
  if (chains < minChains) { lines.push(`  FAIL: ${chains} chains, fewer than ${minChains}`); ok = false; }
  if (byRank[0] === 0 || byRank[2] === 0) { lines.push('  FAIL: no 1-D or no 3-D case'); ok = false; }
  return { ok, lines };
}
