// The page's only parsing of its own: field text <-> JSON values, and shape
// display helpers. Pure modules, so plain Node runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseField, formatField, parseShape } from '../../web/fields.js';
import { axisLetters, convertLayout, shapeText, splitShape, compactCount } from '../../web/format.js';

test('axes fields take one number or one per axis in several spellings', () => {
  assert.deepEqual(parseField('axes', '3'), { value: 3 });
  for (const text of ['3x5', '3×5', '3,5', '3 5', '[3, 5]', ' 3 x 5 ']) assert.deepEqual(parseField('axes', text), { value: [3, 5] }, text);
  assert.deepEqual(parseField('axes', ''), { value: undefined }, 'empty = engine default');
  assert.ok(parseField('axes', 'three').error);
  assert.deepEqual(parseField('axes', '-2'), { value: -2 }, 'sign is passed on: the engine names the problem');
});

test('padding fields take a framework word, numbers, per-axis numbers or pairs', () => {
  const choices = ['valid', 'same'];
  assert.deepEqual(parseField('padding', 'SAME', choices), { value: 'same' });
  assert.deepEqual(parseField('padding', '1', choices), { value: 1 });
  assert.deepEqual(parseField('padding', '1x2', choices), { value: [1, 2] });
  assert.deepEqual(parseField('padding', '[[0,1],[1,0]]', choices), { value: [[0, 1], [1, 0]] });
  assert.match(parseField('padding', 'same_lower', choices).error, /'valid', 'same'/);
  assert.ok(parseField('padding', '[[0,1],[1]]', choices).error);
});

test('count, number, bool and string fields', () => {
  assert.deepEqual(parseField('count', '16'), { value: 16 });
  assert.match(parseField('count', '1.5').error, /whole number/);
  assert.deepEqual(parseField('number', '0.25'), { value: 0.25 });
  assert.ok(parseField('number', '1/4').error);
  assert.deepEqual(parseField('bool', true), { value: true });
  assert.deepEqual(parseField('string', ' relu'), { value: ' relu' });
});

test('sizes fields (reshape\'s shape) are always a list, -1 included', () => {
  assert.deepEqual(parseField('sizes', '400'), { value: [400] });
  assert.deepEqual(parseField('sizes', '-1'), { value: [-1] });
  for (const text of ['64x7x7', '[64, 7, 7]', '64,7,7']) assert.deepEqual(parseField('sizes', text), { value: [64, 7, 7] }, text);
  assert.deepEqual(parseField('sizes', '-1x7x7'), { value: [-1, 7, 7] });
  assert.match(parseField('sizes', '7x7x').error, /64x7x7/);
  assert.deepEqual(parseField('sizes', formatField('sizes', [-1, 7, 7])), { value: [-1, 7, 7] });
  assert.deepEqual(parseField('sizes', formatField('sizes', [400])), { value: [400] });
});

test('formatting is the inverse of parsing', () => {
  for (const [kind, value] of [['axes', 3], ['axes', [3, 5]], ['padding', 'same'], ['padding', [[0, 1], [1, 0]]], ['count', 16]]) {
    assert.deepEqual(parseField(kind, formatField(kind, value), ['valid', 'same']), { value });
  }
  assert.deepEqual(parseShape('1x28x28x1'), { value: [1, 28, 28, 1] });
  assert.ok(parseShape('1x28xx').error);
});

test('layouts: letters, channel moves and splitting follow NCHW/NHWC', () => {
  assert.deepEqual(axisLetters('NHWC', 4), ['N', 'H', 'W', 'C']);
  assert.deepEqual(axisLetters('NCHW', 5), ['N', 'C', 'D', 'H', 'W']);
  assert.deepEqual(axisLetters('NCHW', 3), ['N', 'C', 'W']);
  assert.deepEqual(convertLayout([1, 4, 4, 3], 'NHWC', 'NCHW'), [1, 3, 4, 4]);
  assert.deepEqual(convertLayout([1, 3, 4, 4], 'NCHW', 'NHWC'), [1, 4, 4, 3]);
  assert.deepEqual(splitShape([1, 8, 6, 3], 'NHWC'), { batch: 1, spatial: [8, 6], channels: 3 });
  assert.deepEqual(splitShape([1, 10], 'NCHW'), { batch: 1, spatial: [], channels: 10 });
  assert.equal(shapeText([1, 4, 4, 3]), '1×4×4×3');
  assert.equal(shapeText(null), '—');
  assert.equal(compactCount(1216), '1.22 K');
  assert.equal(compactCount(999), '999');
});
