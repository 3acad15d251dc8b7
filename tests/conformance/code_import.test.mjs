// The code reader (issue 14) against real PyTorch, on the corpus of
// real-style model files in tests/fixtures/code (see its README).
//
// For every PyTorch file of the corpus at several input sizes — sizes where
// the network runs and sizes where PyTorch raises, listed in
// tests/fixtures/code/cases.json — this test
//   1. runs the file in real PyTorch with tests/conformance/code_truth.py
//      (the model the file itself builds, torch.zeros(input), forward hooks
//      and a TorchFunctionMode): every leaf module call with its path and
//      output shape, every torch function the file calls with its line and
//      output shape, the output, or the exception with its text and line;
//   2. reads the file with `build/convscope import --input SHAPE [--model M]
//      FILE` (the contract JSON, each layer with `source` {line, code}) and
//      analyses that with `build/convscope analyze -`;
//   3. compares:
//      - every module PyTorch called has a layer of that name (named_modules()
//        path) with the same output shape, whose source.line is the line that
//        called it (the innermost line of the file: for a conv inside
//        DoubleConv's nn.Sequential, `return self.double_conv(x)`); a module
//        called again (the CIFAR
//        net's `pool`, a BasicBlock's `relu`) has one more layer per call,
//        whose name starts with the path, at the line of that call, with that
//        call's shape;
//      - every line where the file calls a torch function (F.relu, torch.cat,
//        F.pad, x.view, +, *, ...) has layers with that source.line, and each
//        time the line runs the last layer of that run of layers has the
//        shape of the line's last op (a line like
//        `x = F.max_pool2d(F.relu(self.conv1(x)), 2)` ends with the pool);
//        functional layer names are not compared, the lines are;
//      - where PyTorch runs: the report is ok, every layer valid, and the
//        output is PyTorch's;
//      - where PyTorch raises: the report's first failing layer is at the
//        line PyTorch raised from (the innermost line of the file), is the
//        module that raised if a module did, and its `framework_error` is
//        PyTorch's message verbatim;
//      - every layer's source.code is the text of its source.line in the file.
// It also checks that tests/fixtures/code/truth.json, PyTorch's record of the
// same cases committed for tests that run without torch, is current.
// The Keras files cannot run here (no TensorFlow): they are read, and each
// layer's source must point at its line in the file.
// Nothing is skipped: without torch, without the CLI, or when the CLI cannot
// read the code (exit 2: a build without the code reader), tests fail and say
// why (the file, the size and what the CLI printed).
//
// Run: node --test tests/conformance/code_import.test.mjs
// (needs build/convscope and /usr/bin/python3 with Debian's python3-torch;
// CONVSCOPE_CLI and CONVSCOPE_PYTHON override them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root, cli, python } from './examples_support.mjs';

const truthScript = join(root, 'tests', 'conformance', 'code_truth.py');
const corpus = join(root, 'tests', 'fixtures', 'code');

// The sizes tried (tests/fixtures/code/cases.json): where real PyTorch 1.13
// runs the file, and where it raises (`fails`: the line's code), with why.
// The models start in training mode as PyTorch builds them: BatchNorm then
// needs more than one value per channel, so ResNet-18 at 32x32 (1x1 at
// layer4) runs with a batch of 2 and fails with a batch of 1.
const CASES = JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8'));
// What code_truth.py printed for them, committed for tests without torch.
const COMMITTED_TRUTH = join(corpus, 'truth.json');

const KERAS_FILES = ['keras_mnist_convnet.py', 'keras_unet.py'];

function label(c) {
  return `${c.file}${c.model ? ` (--model ${c.model})` : ''} at ${c.input.join('x')}`;
}

// ------------------------------------------------------------------ running

let truthCache = null;
function truths() {
  if (truthCache) return truthCache;
  const r = spawnSync(python, [truthScript, '--cases', join(corpus, 'cases.json')], {
    encoding: 'utf8', maxBuffer: 64 << 20, timeout: 20 * 60 * 1000,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`${python} ${truthScript} failed (${r.error ? r.error.message : `exit ${r.status}`}); ` +
      `it needs Debian's python3-torch:\n${r.stderr}`);
  }
  truthCache = JSON.parse(r.stdout);
  assert.equal(truthCache.length, CASES.length, 'the truth script answered every case');
  return truthCache;
}

function cliRun(args, input) {
  assert.ok(existsSync(cli), `no CLI at ${cli}: build it (cmake -S . -B build && cmake --build build -j2 --target convscope)`);
  return spawnSync(cli, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
}

// The file read by ConvScope: the network JSON and its report.
function convscope(file, input, model) {
  const path = join(corpus, file);
  const args = ['import', ...(input ? ['--input', input.join('x')] : []), ...(model ? ['--model', model] : []), path];
  const imported = cliRun(args);
  assert.equal(imported.status, 0,
    `convscope ${args.join(' ')} exited ${imported.status} (0 expected: the code reader reads the whole file):\n` +
    `${imported.stderr}${imported.stdout.slice(0, 2000)}`);
  const net = JSON.parse(imported.stdout);
  const analysed = cliRun(['analyze', '-'], imported.stdout);
  assert.ok(analysed.status === 0 || analysed.status === 1,
    `convscope analyze of the import of ${file} exited ${analysed.status}:\n${analysed.stderr}`);
  return { net, report: JSON.parse(analysed.stdout), notes: imported.stderr };
}

// ------------------------------------------------------------------ comparing

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const fmt = (shape) => JSON.stringify(shape);

// Consecutive items with the same line, as [{line, items}].
function runsByLine(items, lineOf) {
  const runs = [];
  for (const item of items) {
    const line = lineOf(item);
    const last = runs[runs.length - 1];
    if (last && line !== undefined && last.line === line) last.items.push(item);
    else runs.push({ line, items: [item] });
  }
  return runs;
}

// A line of code as compared with source.code: comments and runs of spaces
// do not count, and a statement continued on further lines compares by its
// first line.
function normalized(code) {
  return code.split('\n')[0].replace(/\s+#.*$/, '').replace(/\s+/g, ' ').trim();
}

// Each report row with its network layer's source.
function rowsOf(net, report) {
  const sources = new Map(net.layers.map((l) => [l.name, l.source]));
  return report.layers.map((row) => ({ ...row, source: row.source ?? sources.get(row.name) }));
}

function sourceProblems(rows, fileLines) {
  const problems = [];
  for (const row of rows) {
    const s = row.source;
    if (!s || !Number.isInteger(s.line) || s.line < 1 || s.line > fileLines.length) {
      problems.push(`layer ${row.name}: no source line in the file (${JSON.stringify(s)})`);
      continue;
    }
    const text = normalized(fileLines[s.line - 1]);
    const code = normalized(s.code ?? '');
    if (!code || !(text.startsWith(code) || code.startsWith(text))) {
      problems.push(`layer ${row.name}: source.code ${JSON.stringify(s.code)} is not line ${s.line} of the file (${JSON.stringify(text)})`);
    }
  }
  return problems;
}

// Everything ConvScope's reading says differently from PyTorch's run.
function problems(truth, net, report, fileLines) {
  const out = [];
  const rows = rowsOf(net, report);
  out.push(...sourceProblems(rows, fileLines));
  const failing = report.first_error ?? null;
  const ran = failing === null ? rows : rows.slice(0, failing);

  // Modules, by path; further calls of one module by line.
  const calls = new Map();
  for (const e of truth.events) {
    if (e.kind === 'module') calls.set(e.name, [...(calls.get(e.name) ?? []), e]);
  }
  for (const [path, list] of calls) {
    const first = rows.find((r) => r.name === path);
    if (!first) {
      out.push(`module ${path} (line ${list[0].line}, PyTorch ${fmt(list[0].output)}): no layer of that name`);
      continue;
    }
    if (!same(first.output, list[0].output)) {
      out.push(`module ${path} (line ${list[0].line}): PyTorch ${fmt(list[0].output)}, ConvScope ${fmt(first.output)}`);
    }
    if (first.source?.line !== list[0].line) {
      out.push(`module ${path}: called from line ${list[0].line} (${normalized(fileLines[list[0].line - 1])}), ` +
        `ConvScope's layer is at line ${first.source?.line}`);
    }
    const used = new Set([first]);
    list.slice(1).forEach((e, k) => {
      const match = rows.find((r) => !used.has(r) && r.name.startsWith(path) && r.source?.line === e.line &&
        same(r.output, e.output));
      if (match) { used.add(match); return; }
      const near = rows.filter((r) => !used.has(r) && r.name.startsWith(path)).map((r) => `${r.name}@${r.source?.line}=${fmt(r.output)}`);
      out.push(`module ${path}, call ${k + 2} at line ${e.line}: no further layer named ${path}… at that line ` +
        `with PyTorch's ${fmt(e.output)} (layers named so: ${near.join(', ') || 'none'})`);
    });
  }

  // Lines with functional calls: each run of the line ends with the line's last op.
  // A call that passes its input through (torch.cat of one tensor) makes no
  // layer in ConvScope: it is left out of the runs.
  const truthRuns = runsByLine(truth.events.filter((e) => !e.passes_through), (e) => e.line);
  const ourRuns = runsByLine(ran, (r) => r.source?.line);
  const functionLines = [...new Set(truth.events.filter((e) => e.kind === 'function' && !e.passes_through)
    .map((e) => e.line))];
  for (const line of functionLines) {
    const expected = truthRuns.filter((r) => r.line === line).map((r) => r.items[r.items.length - 1].output);
    const got = ourRuns.filter((r) => r.line === line).map((r) => r.items[r.items.length - 1].output);
    if (!same(expected, got)) {
      const ops = [...new Set(truth.events.filter((e) => e.line === line).map((e) => e.name))].join(', ');
      out.push(`line ${line} (${normalized(fileLines[line - 1])}; PyTorch ran ${ops}): each time it runs PyTorch ends ` +
        `with ${expected.map(fmt).join(' ')}; ConvScope's last layers of that line give ${got.map(fmt).join(' ') || 'nothing'}`);
    }
  }

  if (!truth.error) {
    if (!report.ok) {
      const row = rows[failing];
      out.push(`PyTorch runs it, ConvScope reports layer ${row?.name} (line ${row?.source?.line}) invalid: ${row?.message}`);
    }
    for (const row of rows) {
      if (row.status !== 'ok' && row.status !== 'warning') out.push(`layer ${row.name}: status ${row.status}, PyTorch runs it`);
    }
    const outputs = (report.outputs ?? []).map((o) => o.shape);
    if (!same(outputs, [truth.output])) out.push(`output: PyTorch ${fmt(truth.output)}, ConvScope ${fmt(outputs)}`);
    return out;
  }

  const e = truth.error;
  if (failing === null) {
    out.push(`PyTorch raises ${e.type} at line ${e.line} (${e.code}): ${e.message}; ConvScope reports every layer valid`);
    return out;
  }
  const row = rows[failing];
  if (row.source?.line !== e.line) {
    out.push(`PyTorch raises at line ${e.line} (${e.code}), ConvScope's first failing layer ${row.name} is at line ${row.source?.line}`);
  }
  if (e.module && !row.name.startsWith(e.module)) {
    out.push(`PyTorch raises in module ${e.module}, ConvScope's first failing layer is ${row.name}`);
  }
  if (row.framework_error !== e.message) {
    out.push(`PyTorch's text: ${JSON.stringify(e.message)}\nConvScope's framework_error: ${JSON.stringify(row.framework_error)}`);
  }
  return out;
}

// ------------------------------------------------------------------ tests

test('PyTorch runs every corpus file where cases.json says, raises at the line it says, and truth.json is current', () => {
  const all = truths();
  CASES.forEach((c, i) => {
    const t = all[i];
    assert.equal(t.training, true, `${label(c)}: the model is in training mode, as built`);
    if (c.fails) {
      assert.ok(t.error, `${label(c)}: PyTorch runs it (output ${fmt(t.output)}), cases.json says it fails`);
      assert.equal(t.error.code, c.fails, `${label(c)}: PyTorch raises ${t.error.type}: ${t.error.message}`);
    } else {
      assert.equal(t.error, null, `${label(c)}: PyTorch raises ${t.error?.type}: ${t.error?.message} at line ${t.error?.line}`);
      assert.ok(t.events.some((e) => e.kind === 'function'), `${label(c)}: no functional call recorded`);
      assert.ok(t.events.some((e) => e.kind === 'module'), `${label(c)}: no module call recorded`);
    }
  });
  assert.deepEqual(JSON.parse(readFileSync(COMMITTED_TRUTH, 'utf8')), all,
    `${COMMITTED_TRUTH} is not what PyTorch says now: regenerate it with\n` +
    `  ${python} tests/conformance/code_truth.py --cases tests/fixtures/code/cases.json > tests/fixtures/code/truth.json`);
  // The failure the issue names, with PyTorch's text.
  const nopad = all[CASES.findIndex((c) => c.file === 'unet_nopad.py' && c.input[2] === 100)];
  assert.equal(nopad.error.message,
    'Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list.');
  assert.equal(nopad.error.op, 'cat');
  const pad = all[CASES.findIndex((c) => c.file === 'unet_pad.py' && c.input[2] === 100)];
  assert.deepEqual(pad.output, [1, 2, 100, 100]);
});

CASES.forEach((c, i) => {
  test(`${label(c)}: ConvScope reads the code as PyTorch runs it`, () => {
    const truth = truths()[i];
    const fileLines = readFileSync(join(corpus, c.file), 'utf8').split('\n');
    const { net, report, notes } = convscope(c.file, c.input, c.model);
    assert.equal(net.framework, 'pytorch', `${label(c)}: framework`);
    assert.deepEqual(net.input, c.input, `${label(c)}: the input given`);
    const found = problems(truth, net, report, fileLines);
    const outcome = truth.error ? `PyTorch raises ${truth.error.type} at line ${truth.error.line}` : `PyTorch gives ${fmt(truth.output)}`;
    assert.deepEqual(found, [], `${label(c)} (${outcome}; import notes: ${notes.trim() || 'none'}):\n  ${found.join('\n  ')}`);
  });
});

for (const file of KERAS_FILES) {
  test(`${file}: ConvScope reads the Keras code, every layer pointing at its line`, () => {
    const fileLines = readFileSync(join(corpus, file), 'utf8').split('\n');
    const { net, report } = convscope(file, null, null);
    assert.equal(net.framework, 'tensorflow', `${file}: framework`);
    assert.ok(net.layers.length > 0, `${file}: no layer read`);
    const found = sourceProblems(rowsOf(net, report), fileLines);
    assert.deepEqual(found, [], `${file}:\n  ${found.join('\n  ')}`);
  });
}
