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
