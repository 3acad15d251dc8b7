// The comparison of a framework that departs from its spec (ONNX Runtime) or
// whose runner words only some failures (tfjs): a version-table entry about a
// warning must find ConvScope's warning with the framework's numbers (and,
// with quotes_observed, its whole text); one about a shape must name exactly
// the shape the framework produced; a runner's failure without a text is
// compared by failing layer only, one with a source against ConvScope's text
// from that source.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compareCase } from './compare.mjs';

const kase = { id: 'c', network: { framework: 'onnx', input: [1, 1, 8], layers: [{ type: 'conv_transpose', filters: 1, kernel: 1 }] } };
const inconsistent = (op, s, e, i) => `Computed output shape is inconsistent with input spatial dimensions. output_padding (${op}) may be too large for stride (${s}). Expected input size ${e} but got ${i}.`;
const versions = [
  {
    id: 'warned', framework: 'onnx', at: 'framework_fails',
    observed: { text: '^Computed output shape is inconsistent with input spatial dimensions\\. output_padding \\((?<op>\\d+)\\) may be too large for stride \\((?<stride>\\d+)\\)\\. Expected input size (?<expected>\\d+) but got (?<in>\\d+)\\.$' },
    current: { warning: '"Computed output shape is inconsistent with input spatial dimensions\\. output_padding \\((?<op>\\d+)\\) may be too large for stride \\((?<stride>\\d+)\\)\\. Expected input size (?<expected>\\d+) but got (?<in>\\d+)\\."', quotes_observed: true },
  },
  {
    id: 'shape', framework: 'onnx', at: 'convscope_fails',
    observed: { output: 'shape' },
    current: { text: '^no error: ONNX Runtime runs this node and outputs (?<shape>\\[[-\\d, ]+\\])' },
  },
];
const ran = (text) => ({ layers: [], error: { index: 0, stage: 'run', text } });
const warned = (w) => ({ first_error: null, layers: [{ output: [1, 1, 9], warnings: [w] }] });

test('a warning excuses a framework failure only with the same numbers and the whole text quoted', () => {
  const w = `ONNX Runtime departs from the ONNX spec here: ... "${inconsistent(1, 1, 9, 8)}" ...`;
  assert.equal(compareCase('onnx', kase, ran(inconsistent(1, 1, 9, 8)), warned(w), versions, { texts: true }).verdict, 'version');
  assert.equal(compareCase('onnx', kase, ran(inconsistent(1, 1, 10, 8)), warned(w), versions, { texts: true }).verdict, 'differ');
  assert.equal(compareCase('onnx', kase, ran(inconsistent(1, 1, 9, 8)), warned('no such warning'), versions, { texts: true }).verdict, 'differ');
});

test('a note about what the framework outputs excuses a difference only with exactly that shape', () => {
  const report = { first_error: 0, layers: [{ output: null, framework_error: 'no error: ONNX Runtime runs this node and outputs [1, 1, 0] (along L ...)' }] };
  assert.equal(compareCase('onnx', kase, { layers: [{ output: [1, 1, 0] }], error: null }, report, versions, { texts: true }).verdict, 'version');
  assert.equal(compareCase('onnx', kase, { layers: [{ output: [1, 1, 1] }], error: null }, report, versions, { texts: true }).verdict, 'differ');
});

test('a failure without a text is compared by layer; one with a source against that source\'s text', () => {
  const tf = { id: 't', network: { framework: 'tensorflow', input: [1, 4, 4, 3], layers: [{ type: 'conv', filters: 1, kernel: 6 }] } };
  const report = {
    first_error: 0,
    layers: [{
      output: null, framework_error: 'graph text', framework_error_source: 'TensorFlow graph mode (tf.keras 2)',
      framework_error_others: [{ source: 'TensorFlow.js layers', text: 'tfjs text' }],
    }],
  };
  const fails = (text, source) => ({ layers: [], error: { index: 0, stage: 'size', text, source } });
  assert.equal(compareCase('tensorflow', tf, fails(null), report, [], { texts: true }).verdict, 'agree');
  assert.equal(compareCase('tensorflow', tf, fails('tfjs text', 'TensorFlow.js layers'), report, [], { texts: true }).text, 'exact');
  assert.equal(compareCase('tensorflow', tf, fails('other', 'TensorFlow.js layers'), report, [], { texts: true }).verdict, 'differ');
  const noTfjs = { first_error: 0, layers: [{ ...report.layers[0], framework_error_others: [] }] };
  assert.equal(compareCase('tensorflow', tf, fails('tfjs text', 'TensorFlow.js layers'), noTfjs, [], { texts: true }).verdict, 'differ');
});
