// The conformance suite: generated cases run through the real frameworks
// installed here and compared with `convscope analyze`.
//
//   node tests/conformance/run.mjs [--count 1100] [--seed 11] [--only pytorch,onnx,tensorflow] [--report-only FW]
//
// PyTorch: Debian's python3-torch, run by /usr/bin/python3 (run_pytorch.py).
// ONNX Runtime: npm onnxruntime-node, on models built by Debian's python3-onnx
//   (build_onnx.py, run_onnxruntime.mjs).
// TensorFlow: npm @tensorflow/tfjs-core and tfjs-backend-cpu (run_tfjs.mjs),
//   with the Keras rules tfjs ops lack stated by the runner. Cases whose
//   layers tfjs cannot run are skipped by category, with a count.
// Exit status 1 when any framework agrees on less than 100 % of its cases
// (differences recorded in versions.json excepted), 2 when a runner fails.
// --report-only names frameworks whose differences are printed but do not
// fail the run; their figures are printed all the same.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { analyze, compareCase, loadVersions, pool, summarise } from './compare.mjs';
import { generate } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const count = Number(arg('count', '1100'));
const seed = Number(arg('seed', '11'));
const only = arg('only', 'pytorch,onnx,tensorflow').split(',');
const reportOnly = arg('report-only', '').split(',').filter(Boolean);
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

let ok = true;
const summary = [];
for (const framework of only) {
  if (!runners[framework]) {
    console.error(`conformance: unknown framework '${framework}'`);
    process.exit(2);
  }
  const started = Date.now();
  const generated = generate(framework, count, seed);
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
  const s = summarise(framework, ran.version, cases, outcomes, { minCases: 1000, minChains: 200, texts: ran.texts !== false });
  s.lines[0] += ` [${((Date.now() - started) / 1000).toFixed(1)} s]`;
  for (const [why, n] of Object.entries(ran.skipped ?? {})) s.lines.push(`  skipped: ${n} cases with ${why}`);
  for (const note of ran.notes ?? []) s.lines.push(`  note: ${note}`);
  console.log(s.lines.join('\n'));
  summary.push(s.lines[0]);
  if (reportOnly.includes(framework)) {
    if (!s.ok) console.log(`  ${framework}: REPORT ONLY — these differences do not fail the run (--report-only)`);
  } else {
    ok = ok && s.ok;
  }
}
console.log(ok ? `\nconformance: passed (${only.filter((f) => !reportOnly.includes(f)).join(', ')} agree on every case)`
              : '\nconformance: FAILED (see DIFFER lines above)');
process.exit(ok ? 0 : 1);
