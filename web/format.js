// Display helpers: how shapes, counts and layouts read on the page.
// Pure functions (no DOM), so Node tests can check them directly.

const SPATIAL_LETTERS = { 1: ['W'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

/** Axis letters of a full shape, e.g. ('NHWC', 4) -> ['N','H','W','C']. */
export function axisLetters(layout, rank) {
  if (rank === 2) return ['N', 'F'];
  const spatial = SPATIAL_LETTERS[rank - 2];
  if (!spatial) return Array.from({ length: rank }, (_, i) => `d${i}`);
  return layout === 'NHWC' ? ['N', ...spatial, 'C'] : ['N', 'C', ...spatial];
}

/** 'N×H×W×C' for the header of a shape column. */
export function layoutLabel(layout, rank) {
  return axisLetters(layout, rank).join('×');
}

/** [1, 4, 4, 3] -> '1×4×4×3'; null -> '—'. */
export function shapeText(shape) {
  if (!Array.isArray(shape) || shape.length === 0) return '—';
  return shape.map((d) => (d === null || d === undefined ? '?' : String(d))).join('×');
}

/**
 * Split a full shape into batch, spatial dims and channels using the layout.
 * Rank 2 (after flatten/dense) has no spatial dims: features act as channels.
 */
export function splitShape(shape, layout) {
  if (!Array.isArray(shape) || shape.length < 2) return null;
  if (shape.length === 2) return { batch: shape[0], spatial: [], channels: shape[1] };
  if (layout === 'NHWC') return { batch: shape[0], spatial: shape.slice(1, -1), channels: shape[shape.length - 1] };
  return { batch: shape[0], spatial: shape.slice(2), channels: shape[1] };
}

/** Move the channel axis when the user switches between NCHW and NHWC frameworks. */
export function convertLayout(shape, from, to) {
  if (!Array.isArray(shape) || shape.length < 3 || from === to) return shape;
  if (from === 'NCHW' && to === 'NHWC') return [shape[0], ...shape.slice(2), shape[1]];
  if (from === 'NHWC' && to === 'NCHW') return [shape[0], shape[shape.length - 1], ...shape.slice(1, -1)];
  return shape;
}

const integer = new Intl.NumberFormat('en-US');

/** Exact count with thousands separators; null -> '—'. */
export function countText(n) {
  return typeof n === 'number' && Number.isFinite(n) ? integer.format(n) : '—';
}

/** 1234567 -> '1.23 M' (the exact value goes into a title/aria text). */
export function compactCount(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) {
    if (Math.abs(n) >= size) return `${(n / size).toPrecision(3).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')} ${unit}`;
  }
  return String(n);
}

/**
 * True when some layer of the report reads anything but the layer before it
 * (the first: the input), i.e. the network is a graph, not a chain.
 */
export function isGraph(report) {
  const layers = report?.layers || [];
  return layers.some((l, i) => Array.isArray(l.inputs)
    && (l.inputs.length !== 1 || l.inputs[0] !== (i ? layers[i - 1].name : 'input')));
}

/**
 * Per layer of the report, the indexes of the layers it reads (-1: the
 * network input), from the report's `inputs` names; a name means the latest
 * earlier layer of that name. Without `inputs`, the layer before.
 */
export function inputIndexes(report) {
  const latest = new Map([['input', -1]]);
  return (report?.layers || []).map((l, i) => {
    const names = Array.isArray(l.inputs) ? l.inputs : [i ? report.layers[i - 1].name : 'input'];
    const found = names.map((n) => (latest.has(n) ? latest.get(n) : i - 1));
    latest.set(l.name, i);
    return found;
  });
}

/** Receptive field summary, e.g. '5×5' and 'jump 1×1, start 2×2'. */
export function receptiveFieldText(rf) {
  if (!rf || !Array.isArray(rf.size)) return null;
  return {
    size: rf.size.join('×'),
    detail: `jump ${(rf.jump || []).join('×')}, start ${(rf.start || []).join('×')}`,
  };
}

/**
 * A layer's name as prose writes it: as it is, or in double quotes when it
 * is all digits (PyTorch Sequential's default names "0", "1", …), so a name
 * never reads as a position. The page's copy of display_name in
 * core/convscope/network.cpp: the core's messages and the page's agree.
 */
export function nameText(name) {
  const text = String(name ?? '');
  return /^\d+$/.test(text) ? `"${text}"` : text;
}

/** Layer `index` (0-based) by position and name, as the core's layer_ref writes it: 'layer 5 ("4")'. */
export function layerRef(index, name) {
  return `layer ${index + 1}${name ? ` (${nameText(name)})` : ''}`;
}

/** 'layer 5 ("4")' -> 'Layer 5 ("4")', for the start of a sentence. */
export function capitalize(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
