// The comparison itself: a difference is caught, and the version table
// excuses one only when its patterns match with the same numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compareCase, template } from './compare.mjs';

const versions = [{
  id: 'pool-padding-wording', framework: 'pytorch', at: 'text',
  observed: { text: '^pad should be at most half of kernel size, but got pad=(?<pad>\\d+) and kernel_size=(?<kernel>\\d+)$' },
  current: { text: '^pad should be at most half of effective kernel size, but got pad=(?<pad>\\d+), kernel_size=(?<kernel>\\d+) and dilation=(?<dilation>\\d+)$' },
}];
const kase = { id: 'c', network: { framework: 'pytorch', input: [1, 1, 4, 4], layers: [{ type: 'max_pool', kernel: 3, padding: 2 }] } };
const failing = (text) => ({ first_error: 0, layers: [{ output: null, framework_error: text }] });
const ran = (text) => ({ layers: [], error: { index: 0, stage: 'forward', text } });

test('equal texts agree exactly; a wrong number differs though the template matches', () => {
  assert.equal(compareCase('pytorch', kase, ran('Output size is too small 3'), failing('Output size is too small 3'), versions, { texts: true }).text, 'exact');
  const o = compareCase('pytorch', kase, ran('Output size is too small 3'), failing('Output size is too small 4'), versions, { texts: true });
  assert.equal(o.verdict, 'differ');
  assert.equal(o.text, 'template');
  assert.equal(template('a -3 b 12'), 'a # b #');
});

test('the version table excuses a rewording only with the same numbers', () => {
  const cs = 'pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1';
  assert.equal(compareCase('pytorch', kase, ran('pad should be at most half of kernel size, but got pad=2 and kernel_size=3'), failing(cs), versions, { texts: true }).verdict, 'version');
  assert.equal(compareCase('pytorch', kase, ran('pad should be at most half of kernel size, but got pad=2 and kernel_size=5'), failing(cs), versions, { texts: true }).verdict, 'differ');
});

test('a shape or a failing layer that differs is a difference', () => {
  const two = { id: 'd', network: { framework: 'pytorch', input: [1, 1, 8], layers: [{ type: 'relu' }, { type: 'relu' }] } };
  const report = { first_error: null, layers: [{ output: [1, 1, 8] }, { output: [1, 1, 8] }] };
  assert.equal(compareCase('pytorch', two, { layers: [{ output: [1, 1, 8] }, { output: [1, 1, 8] }], error: null }, report, versions, { texts: true }).verdict, 'agree');
  assert.equal(compareCase('pytorch', two, { layers: [{ output: [1, 1, 7] }, { output: [1, 1, 8] }], error: null }, report, versions, { texts: true }).verdict, 'differ');
  assert.equal(compareCase('pytorch', two, { layers: [{ output: [1, 1, 8] }], error: { index: 1, stage: 'forward', text: 'x' } }, report, versions, { texts: true }).verdict, 'differ');
});

// ---- graphs ----------------------------------------------------------------------

const graph = {
  id: 'g', graph: true, network: {
    framework: 'pytorch', input: [1, 3, 8, 8], layers: [
      { type: 'conv', name: 'a', filters: 4, kernel: 9, inputs: ['input'] },
      { type: 'relu', name: 'b', inputs: ['a'] },
      { type: 'conv', name: 'c', filters: 4, kernel: 3, inputs: ['input'] },
      { type: 'concat', name: 'd', inputs: ['input', 'c'] },
    ],
  },
};
const graphReport = (lastText) => ({
  first_error: 0, errors: [0, 3],
  layers: [
    { status: 'error', output: null, framework_error: 'too small' },
    { status: 'skipped', output: null },
    { status: 'ok', output: [1, 4, 6, 6] },
    { status: 'error', output: null, framework_error: lastText },
  ],
});
const graphRun = (cShape, lastText) => ({
  layers: [{ failed: true }, { skipped: true }, { output: cShape }, { failed: true }],
  error: { index: 0, stage: 'forward', text: 'too small' },
  errors: [{ index: 0, stage: 'forward', text: 'too small' }, { index: 3, stage: 'forward', text: lastText }],
});

test('graphs: every error and the shapes of independent branches after a failure are compared', () => {
  const ok = compareCase('pytorch', graph, graphRun([1, 4, 6, 6], 'cat 8 vs 6'), graphReport('cat 8 vs 6'), versions, { texts: true });
  assert.equal(ok.verdict, 'agree');
  assert.deepEqual(ok.texts, ['exact', 'exact']);
  // a later, independent error with other words
  assert.equal(compareCase('pytorch', graph, graphRun([1, 4, 6, 6], 'cat 8 vs 6'), graphReport('cat 8 vs 7'), versions, { texts: true }).verdict, 'differ');
  // a layer after the first failure, on another branch, with another shape
  assert.equal(compareCase('pytorch', graph, graphRun([1, 4, 7, 7], 'cat 8 vs 6'), graphReport('cat 8 vs 6'), versions, { texts: true }).verdict, 'differ');
  // a layer the framework runs where ConvScope skips it
  const skipped = graphRun([1, 4, 6, 6], 'cat 8 vs 6');
  skipped.layers[1] = { output: [1, 4, 1, 1] };
  assert.equal(compareCase('pytorch', graph, skipped, graphReport('cat 8 vs 6'), versions, { texts: true }).verdict, 'differ');
});

test('graphs: the contract refuses what the framework has no text for; ConvScope must quote none', () => {
  const kase = { id: 'c', network: { framework: 'pytorch', input: [1, 1, 4, 4], layers: [{ type: 'crop_to', name: 'c', inputs: ['input', 'input'] }] } };
  const run = { layers: [{ failed: true }], error: { index: 0, stage: 'contract', text: 'larger' }, errors: [{ index: 0, stage: 'contract', text: 'larger' }] };
  assert.equal(compareCase('pytorch', kase, run, { first_error: 0, errors: [0], layers: [{ status: 'error', output: null, framework_error: null }] }, versions, { texts: true }).verdict, 'agree');
  assert.equal(compareCase('pytorch', kase, run, { first_error: 0, errors: [0], layers: [{ status: 'error', output: null, framework_error: 'x' }] }, versions, { texts: true }).verdict, 'differ');
});

test('ONNX Runtime: a failure is compared with the text ConvScope lists for its situation (load or run)', () => {
  const kase = { id: 'o', network: { framework: 'onnx', input: [1, 1, 4, 4], layers: [{ type: 'add', name: 's', inputs: ['input', 'input'] }] } };
  const layer = {
    status: 'error', output: null, framework_error: 'LOAD TEXT', framework_error_source: 'ONNX Runtime (loading a model with fixed input shapes)',
    framework_error_others: [{ source: 'ONNX Runtime 1.31 (running, dynamic input shapes)', text: 'Non-zero status code ... RUN TEXT' }],
  };
  const report = { first_error: 0, errors: [0], layers: [layer] };
  const failed = (stage, text, message) => ({ layers: [], error: { index: 0, stage, text, message } });
  assert.equal(compareCase('onnx', kase, failed('run', 'RUN TEXT', 'Non-zero status code ... RUN TEXT'), report, [], { texts: true }).verdict, 'agree');
  assert.equal(compareCase('onnx', kase, failed('load', 'x', 'LOAD TEXT'), report, [], { texts: true }).verdict, 'agree');
  // each situation only with its own text
  assert.equal(compareCase('onnx', kase, failed('run', 'LOAD TEXT', 'LOAD TEXT'), report, [], { texts: true }).verdict, 'differ');
  assert.equal(compareCase('onnx', kase, failed('load', 'x', 'Non-zero status code ... RUN TEXT'), report, [], { texts: true }).verdict, 'differ');
  // with fixed input sizes: a merge refused at load must be refused by ConvScope with the load text
  const fixed = (text) => ({ layers: [], error: { index: 0, stage: 'run', text: 'RUN TEXT', message: 'Non-zero status code ... RUN TEXT' },
    static: { index: 0, stage: 'load', text: 'x', message: text } });
  assert.equal(compareCase('onnx', kase, fixed('LOAD TEXT'), report, [], { texts: true }).fixed, 'exact');
  assert.equal(compareCase('onnx', kase, fixed('OTHER'), report, [], { texts: true }).verdict, 'differ');
});

test('ONNX Runtime with fixed input sizes: an error that names no node must be the one the symbolic model met', () => {
  // The session is refused (a pooling node's pads) after loading, where the merges are checked.
  const kase = { id: 'u', network: { framework: 'onnx', input: [1, 1, 4, 4], layers: [{ type: 'max_pool', kernel: 2, padding: 2 }] } };
  const report = { first_error: 0, layers: [{ output: null, framework_error: 'Pad should be smaller than kernel.' }] };
  const session = { stage: 'session', type: 'session', text: 'Pad should be smaller than kernel.' };
  const run = (staticError) => ({ layers: [], error: { index: 0, ...session }, static: { unplaced: true, ...staticError } });
  assert.equal(compareCase('onnx', kase, run(session), report, [], { texts: true }).fixed, 'not_merge');
  const crash = { stage: 'crash', type: 'crash', text: 'ONNX Runtime crashed (SIGSEGV)' };
  assert.equal(compareCase('onnx', kase, run(crash), report, [], { texts: true }).verdict, 'differ');
});
