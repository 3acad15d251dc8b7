// The conformance suite: generated cases run through the real frameworks
// installed here and compared with `convscope analyze`.
//
//   node tests/conformance/run.mjs [--count 1100] [--graphs 330] [--seed 11] [--only pytorch,onnx,tensorflow]
//                                  [--category residual,unet] [--fixes 3] [--cli build/convscope]
//
// --count: chain and single-layer cases; --graphs: graph cases after them
// (generate_graphs.mjs; default 30 % of --count, at least 300; none for
// tensorflow, whose tfjs runner builds no merges); --category
// keeps only the cases of the categories named (for a look at one kind; the
// minimum counts are then not enforced); --fixes: how many of ConvScope's
// fixes for each failing graph case run in the framework too (default 3; 0
// for none).
//
// PyTorch: Debian's python3-torch, run by /usr/bin/python3 (run_pytorch.py).
// ONNX Runtime: npm onnxruntime-node, on models built by Debian's python3-onnx
//   (build_onnx.py, run_onnxruntime.mjs).
// TensorFlow: npm @tensorflow/tfjs-core and tfjs-backend-cpu (run_tfjs.mjs),
//   with the Keras rules tfjs ops lack stated by the runner. Cases whose
//   layers tfjs cannot run are skipped by category, with a count.
// Exit status 1 when any framework agrees on less than 100 % of its cases
// (differences recorded in versions.json excepted), 2 when a runner fails.
// Every framework must agree on every case: there is no option that lets a
// difference pass.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { analyze, compareCase, loadVersions, pool, summarise } from './compare.mjs';
import { defaultGraphs, generate } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
if (process.argv.includes('--help')) {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}
const count = Number(arg('count', '1100'));
const graphs = arg('graphs', undefined);
const categories = arg('category', '').split(',').filter(Boolean);
const fixesPerCase = Number(arg('fixes', '3'));
const seed = Number(arg('seed', '11'));
const only = arg('only', 'pytorch,onnx,tensorflow').split(',');
if (process.argv.includes('--report-only')) {
  console.error('conformance: --report-only is gone: every framework must agree on every case');
  process.exit(2);
}
const cli = arg('cli', join(root, 'build', 'convscope'));
const out = join(root, 'test-output', 'conformance');
mkdirSync(out, { recursive: true });
const versions = loadVersions(join(here, 'versions.json'));
const python = '/usr/bin/python3';  // Debian's, which sees python3-torch and python3-onnx

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, cwd: root });
  if (r.status !== 0) {
    console.error(`conformance: ${what} failed (exit ${r.status}):\n${r.stderr || r.error}`);
    process.exit(2);
  }
  return r.stdout;
}

const runners = {
  pytorch: (casesFile) => JSON.parse(run(python, [join(here, 'run_pytorch.py'), casesFile], 'the PyTorch runner')),
  onnx: (casesFile) => {
    const models = join(out, 'onnx-models');
    rmSync(models, { recursive: true, force: true });  // no cut model of an earlier run is read by mistake
    run(python, [join(here, 'build_onnx.py'), casesFile, models], 'building the ONNX models');
    return JSON.parse(run(process.execPath, [join(here, 'run_onnxruntime.mjs'), casesFile, models], 'the ONNX Runtime runner'));
  },
  tensorflow: (casesFile) => JSON.parse(run(process.execPath, [join(here, 'run_tfjs.mjs'), casesFile], 'the tfjs runner')),
};

// The fixes ConvScope proposes for a failing graph (each verified by its own
// re-analysis) are networks a user would run next: up to --fixes of them per
// failing graph case run in the same framework and are compared like the
// cases themselves.
async function checkFixes(framework, cases, reports) {
  const fixCases = [];
  cases.forEach((c, i) => {
    const r = reports[i];
    if (!c.graph || r.malformed || r.ok || r.first_error === null) return;
    (r.layers[r.first_error].fixes ?? []).slice(0, fixesPerCase).forEach((f, j) =>
      fixCases.push({ id: `${c.id}-fix${j}`, category: c.category, graph: true, rank: c.rank, fix: f.summary,
                      resolves_all: f.resolves_all, network: f.network }));
  });
  if (!fixCases.length) return { ok: true, lines: [] };
  const file = join(out, `fixes-${framework}.json`);
  writeFileSync(file, JSON.stringify(fixCases));
  const ran = runners[framework](file);
  const results = new Map(ran.results.map((r) => [r.id, r]));
  const fixReports = await pool(fixCases, 2, (c) => analyze(cli, c.network));
  const outcomes = fixCases.map((c, i) => compareCase(framework, c, results.get(c.id), fixReports[i], versions, { texts: ran.texts !== false }));
  writeFileSync(join(out, `outcomes-fixes-${framework}.json`),
    JSON.stringify(fixCases.map((c, i) => ({ id: c.id, fix: c.fix, ...outcomes[i] })), null, 1));
  const resolving = fixCases.map((c, i) => i).filter((i) => fixCases[i].resolves_all);
  const clean = resolving.filter((i) => !results.get(fixCases[i].id).error).length;
  const agree = outcomes.filter((o) => o.verdict !== 'differ').length;
  const lines = [`  fixes of the failing graphs: ${fixCases.length} fixed networks run, agreement ${(100 * agree / fixCases.length).toFixed(1)} % ` +
    `(${agree} agree or under the version table, ${fixCases.length - agree} differ); ${framework} runs ${clean} of the ${resolving.length} that resolve everything without an error`];
  outcomes.forEach((o, i) => {
    if (o.verdict === 'differ') lines.push(`  DIFFER ${fixCases[i].id} [fix: ${fixCases[i].fix}]: ${o.why}`);
  });
  return { ok: agree === fixCases.length, lines: lines.slice(0, 26) };
}

let ok = true;
for (const framework of only) {
  if (!runners[framework]) {
    console.error(`conformance: unknown framework '${framework}'`);
    process.exit(2);
  }
  const started = Date.now();
  let generated = generate(framework, count, seed, graphs === undefined ? {} : { graphs: Number(graphs) });
  if (categories.length) generated = generated.filter((c) => categories.includes(c.category));
  const casesFile = join(out, `cases-${framework}.json`);
  writeFileSync(casesFile, JSON.stringify(generated));
  const ran = runners[framework](casesFile);
  const results = new Map(ran.results.map((r) => [r.id, r]));
  // Cases the runner cannot run (a layer its framework build lacks) are left
  // out, by category and counted, never silently.
  const cases = generated.filter((c) => !results.get(c.id)?.skipped);
  const reports = await pool(cases, 2, (c) => analyze(cli, c.network));
  const outcomes = cases.map((c, i) => compareCase(framework, c, results.get(c.id), reports[i], versions, { texts: ran.texts !== false }));
  writeFileSync(join(out, `outcomes-${framework}.json`),
    JSON.stringify(cases.map((c, i) => ({ id: c.id, category: c.category, ...outcomes[i] })), null, 1));
  const minimum = categories.length ? { everyRank: false } : { minCases: 1000, minChains: 200, minGraphs: Math.min(300, defaultGraphs(framework, count)) };
  const s = summarise(framework, ran.version, cases, outcomes, { minCases: 0, minChains: 0, ...minimum, texts: ran.texts !== false });
  if (fixesPerCase > 0) {
    const f = await checkFixes(framework, cases, reports);
    s.lines.push(...f.lines);
    s.ok = s.ok && f.ok;
  }
  s.lines[0] += ` [${((Date.now() - started) / 1000).toFixed(1)} s]`;
  for (const [why, n] of Object.entries(ran.skipped ?? {})) s.lines.push(`  skipped: ${n} cases with ${why}`);
  for (const note of ran.notes ?? []) s.lines.push(`  note: ${note}`);
  console.log(s.lines.join('\n'));
  ok = ok && s.ok;
}
console.log(ok ? `\nconformance: passed (${only.join(', ')} agree on every case)` : '\nconformance: FAILED (see DIFFER lines above)');
process.exit(ok ? 0 : 1);
