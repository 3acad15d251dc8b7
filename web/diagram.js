// The data flow as pseudo-3D blocks: front face height follows the first
// spatial dim, depth the second, thickness the channels (all log-scaled so a
// 224×224 input and a 7×7 map both stay readable). The failing layer is
// drawn as a red dashed marker: where the map collapses.
import { svg, fill } from './dom.js';
import { splitShape, shapeText } from './format.js';

const LABEL_FONT_PX = 11;
const CHAR_PX = 6.8; // monospace advance at 11 px, for label widths
const GAP = 30;
const PAD = 12;
const MAX_LABEL_CHARS = 16;

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
const logSize = (n, base, per, lo, hi) => clamp(base + per * Math.log2(Math.max(1, n)), lo, hi);
const shorten = (s) => (s.length > MAX_LABEL_CHARS ? `${s.slice(0, MAX_LABEL_CHARS - 1)}…` : s);

/** Geometry of one tensor; null when the shape is unknown. */
function measure(shape, layout) {
  const parts = splitShape(shape, layout);
  if (!parts) return null;
  if (parts.spatial.length === 0) {
    // A feature vector (after flatten/dense): a thin bar whose height follows its length.
    return { face: 5, height: logSize(parts.channels, 6, 9, 8, 150), depth: 0, shapeLabel: `${parts.channels}` };
  }
  const sp = parts.spatial.slice(-2);
  const rows = sp[0];
  const cols = sp.length > 1 ? sp[1] : 1;
  return {
    face: logSize(parts.channels, 3, 4.5, 3, 64),
    height: logSize(rows, 8, 13, 6, 130),
    depth: logSize(cols, 2, 6.5, 2, 70) * 0.6,
    shapeLabel: shapeText(shape.slice(1)),
  };
}

function cuboid(x, mid, g) {
  const d = g.depth;
  const top = mid - (g.height + d) / 2;
  const fy = top + d; // front face top
  const pts = (a) => a.map((p) => p.join(',')).join(' ');
  return [
    svg('polygon', { class: 'side', points: pts([[x + g.face, fy], [x + g.face + d, top], [x + g.face + d, top + g.height], [x + g.face, fy + g.height]]) }),
    svg('polygon', { class: 'top', points: pts([[x, fy], [x + d, top], [x + g.face + d, top], [x + g.face, fy]]) }),
    svg('rect', { class: 'front', x, y: fy, width: g.face, height: g.height }),
  ];
}

function block(x, mid, maxHeight, { name, geometry, status, tooltip }) {
  const width = geometry ? geometry.face + geometry.depth : 22;
  const labelWidth = Math.max(shorten(name).length, geometry ? geometry.shapeLabel.length : 6) * CHAR_PX;
  const slot = Math.max(width, labelWidth);
  const bx = x + (slot - width) / 2;
  const cx = x + slot / 2;
  const group = svg('g', { class: `blk is-${status}` }, svg('title', null, tooltip));
  if (geometry) {
    group.append(...cuboid(bx, mid, geometry));
  } else {
    // No output: a dashed frame with a cross where the map would have been.
    const s = 22;
    group.append(
      svg('rect', { class: 'void', x: bx, y: mid - s / 2, width: s, height: s, rx: 3 }),
      status === 'error' ? svg('path', { class: 'cross', d: `M${bx + 6},${mid - 5} l10,10 M${bx + 16},${mid - 5} l-10,10` }) : null);
  }
  const top = mid - maxHeight / 2 - 8;
  const bottom = mid + maxHeight / 2 + 8 + LABEL_FONT_PX;
  group.append(
    svg('text', { class: 'lbl name', x: cx, y: top, 'text-anchor': 'middle' }, shorten(name)),
    svg('text', { class: 'lbl shape', x: cx, y: bottom, 'text-anchor': 'middle' },
      geometry ? geometry.shapeLabel : status === 'error' ? 'collapses' : 'unknown'));
  return { group, slot };
}

function arrow(x1, x2, mid, broken) {
  return svg('line', { class: broken ? 'arrow broken' : 'arrow', x1: x1 + 4, y1: mid, x2: x2 - 6, y2: mid, 'marker-end': 'url(#cs-arrowhead)' });
}

/** Draw the network's data flow from a report into `root` (an <svg>). */
export function renderDiagram(root, report, { layout, inputShape, summaryId }) {
  const layers = report?.layers || [];
  const items = [{ name: 'input', shape: layers[0]?.input || inputShape, status: 'ok' }]
    .concat(layers.map((l) => ({ name: l.name || `#${l.index + 1}`, shape: l.output, status: l.status, type: l.type })));
  const geometries = items.map((it) => (it.shape ? measure(it.shape, layout) : null));
  const maxHeight = Math.max(30, ...geometries.filter(Boolean).map((g) => g.height + g.depth));
  const mid = PAD + LABEL_FONT_PX + 10 + maxHeight / 2;
  const totalHeight = mid + maxHeight / 2 + 10 + LABEL_FONT_PX + PAD;

  const defs = svg('defs', null, svg('marker', {
    id: 'cs-arrowhead', viewBox: '0 0 8 8', refX: 6, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
  }, svg('path', { class: 'arrowhead', d: 'M0,0 L8,4 L0,8 z' })));
  const groups = [];
  let x = PAD;
  let previousEnd = null;
  items.forEach((it, i) => {
    const tooltip = `${it.name}${it.type ? ` (${it.type})` : ''}: ${it.shape ? shapeText(it.shape) : it.status === 'error' ? 'no valid output' : 'unknown (after an error)'}`;
    const { group, slot } = block(x, mid, maxHeight, { name: it.name, geometry: geometries[i], status: it.status, tooltip });
    if (previousEnd !== null) groups.push(arrow(previousEnd, x, mid, it.status === 'error' || it.status === 'skipped'));
    groups.push(group);
    previousEnd = x + slot;
    x += slot + GAP;
  });
  const width = x - GAP + PAD;
  root.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(totalHeight)}`);
  root.setAttribute('width', String(Math.ceil(width)));
  root.setAttribute('height', String(Math.ceil(totalHeight)));
  const failing = layers.find((l) => l.status === 'error');
  const summary = failing
    ? `Data flow: the map collapses at layer ${failing.index + 1} (${failing.name || failing.type}).`
    : `Data flow: ${items.map((it) => (it.shape ? shapeText(it.shape) : '?')).join(' → ')}.`;
  fill(root, svg('title', { id: summaryId }, summary), defs, ...groups);
}
