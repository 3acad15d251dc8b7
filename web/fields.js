// Text <-> JSON value for each field kind of the engine's layer schema.
// Only syntax is checked here ("is this a whole number?"); whether a value is
// allowed (positive, right length, valid for the framework) is the engine's
// call, so every rule and message lives in one place: the C++ core.
// Pure functions, tested in Node (tests/web/fields.test.mjs).

const INT = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
// '3x5', '3×5', '3,5', '3 5', '[3, 5]'; a dangling separator ('1x28x') is an error.
const LIST_SEPARATORS = /\s*[x×,]\s*|\s+/i;

/** Result of parsing one field's text. */
const ok = (value) => ({ value });
const empty = () => ({ value: undefined });
const fail = (error) => ({ error });

function parseIntList(text) {
  const body = text.replace(/^\[|\]$/g, '').trim();
  const parts = body.split(LIST_SEPARATORS);
  if (!parts.every((p) => INT.test(p))) return null;
  return parts.map(Number);
}

function parseAxes(text) {
  if (INT.test(text)) return ok(Number(text));
  const list = parseIntList(text);
  return list ? ok(list) : fail('expected a whole number, or one per axis like 3x5');
}

function parsePadding(text, choices) {
  const word = text.toLowerCase();
  if ((choices || []).includes(word)) return ok(word);
  if (INT.test(text)) return ok(Number(text));
  if (text.startsWith('[[')) {
    try {
      const pairs = JSON.parse(text);
      const good = Array.isArray(pairs) && pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger));
      if (good) return ok(pairs);
    } catch { /* fall through to the message below */ }
    return fail('expected pairs like [[0,1],[1,0]]');
  }
  const list = parseIntList(text);
  if (list) return ok(list);
  const words = (choices || []).map((c) => `'${c}'`).join(', ');
  return fail(`expected ${words ? `${words}, ` : ''}a whole number, one per axis like 1x2, or pairs like [[0,1],[1,0]]`);
}

/**
 * Parse what the user typed for a field of `kind`.
 * Returns {value} (undefined = field omitted, engine default applies) or {error}.
 */
export function parseField(kind, raw, choices) {
  if (kind === 'bool') return ok(Boolean(raw));
  const text = String(raw ?? '').trim();
  if (text === '') return empty();
  switch (kind) {
    case 'count':
      return INT.test(text) ? ok(Number(text)) : fail('expected a whole number');
    case 'axes':
      return parseAxes(text);
    case 'padding':
      return parsePadding(text, choices);
    case 'sizes': {  // a list even for one size: reshape's shape, '64x7x7', '-1', '[400]'
      const list = parseIntList(text);
      return list ? ok(list) : fail('expected whole numbers separated by x, like 64x7x7 or -1');
    }
    case 'number':
      return NUMBER.test(text) ? ok(Number(text)) : fail('expected a number');
    case 'string':
      return ok(String(raw));
    default:
      return ok(text);
  }
}

/** The text an input shows for a JSON value (inverse of parseField). */
export function formatField(kind, value) {
  if (value === undefined || value === null) return '';
  if (kind === 'bool') return Boolean(value);
  if (Array.isArray(value)) {
    if (value.some(Array.isArray)) return JSON.stringify(value);
    return value.join('x');
  }
  return String(value);
}

/** Default text shown as a placeholder ('' when the framework has none). */
export function defaultText(kind, value) {
  if (value === undefined || value === null) return '';
  if (kind === 'bool') return value ? 'on' : 'off';
  return formatField(kind, value);
}

/** '1x4x4x3' / '1,4,4,3' / '[1, 4, 4, 3]' -> [1, 4, 4, 3]. */
export function parseShape(raw) {
  const text = String(raw ?? '').trim();
  if (text === '') return fail('enter the input shape, e.g. 1x28x28x1');
  const list = parseIntList(text);
  return list ? ok(list) : fail('expected whole numbers separated by x, e.g. 1x28x28x1');
}

export function formatShape(shape) {
  return Array.isArray(shape) ? shape.join('x') : '';
}
