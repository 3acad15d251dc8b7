// The data flow as pseudo-3D blocks: front face height follows the first
// spatial dim, depth the second, thickness the channels (all log-scaled so a
// 224×224 input and a 7×7 map both stay readable). The failing layer is
// drawn as a red dashed marker: where the map collapses.
//
// A graph is laid out in layers from the report's `inputs`: a block's column
// is one more than its deepest input's, a block takes its first input's row
// unless that cell is taken (parallel branches stack below), and an edge that
// skips columns arcs over the row. A chain is the one-row special case.
import { svg, fill } from './dom.js';
import { splitShape, shapeText, inputIndexes, isGraph, layerRef } from './format.js';

const LABEL_FONT_PX = 11;
const CHAR_PX = 6.8; // monospace advance at 11 px, for label widths
const GAP = 30;
const PAD = 12;
const MAX_LABEL_CHARS = 16;
const ARC_LANE = 44; // room above a row for the arcs of skip connections
const LINE_PX = 13;

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

/** The shape labels under a block: its output, or for a failing merge every arriving shape. */
function shapeLines(it) {
  if (it.geometry) return [it.geometry.shapeLabel];
  if (it.status === 'error' && it.arriving?.length > 1) return it.arriving.map((s) => (s ? shapeText(s.slice(1)) : '?'));
  return [it.status === 'error' ? 'collapses' : 'unknown'];
}

function slotWidth(it) {
  const width = it.geometry ? it.geometry.face + it.geometry.depth : 22;
  const chars = Math.max(shorten(it.name).length, ...shapeLines(it).map((l) => l.length));
  return Math.max(width, chars * CHAR_PX);
}

function block(it, x, mid, maxHeight) {
  const { geometry, status } = it;
  const width = geometry ? geometry.face + geometry.depth : 22;
  const bx = x + (it.slot - width) / 2;
  const group = svg('g', { class: `blk is-${status}${it.onTrace ? ' is-trace' : ''}` }, svg('title', null, it.tooltip));
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
  group.append(svg('text', { class: 'lbl name', x: it.cx, y: top, 'text-anchor': 'middle' }, shorten(it.name)),
    ...shapeLines(it).map((line, k) => svg('text', { class: 'lbl shape', x: it.cx, y: bottom + k * LINE_PX, 'text-anchor': 'middle' }, line)));
  return group;
}

/** Columns (longest path from the input) and rows (the first input's, else the next free one). */
function layout(items) {
  const taken = new Map(); // column -> Set of rows
  for (const it of items) {
    it.col = it.srcs.length ? 1 + Math.max(...it.srcs.map((s) => items[s].col)) : 0;
    const used = taken.get(it.col) || new Set();
    taken.set(it.col, used);
    let row = it.srcs.length ? items[it.srcs[0]].row : 0;
    while (used.has(row)) row += 1;
    used.add(row);
    it.row = row;
  }
  return taken;
}

/** An edge: straight to the next column, an arc over the row for a skip, an S-curve between rows. */
function edge(a, b, taken, maxHeight) {
  const cls = b.status === 'error' || b.status === 'skipped' ? 'arrow broken' : 'arrow';
  const marker = 'url(#cs-arrowhead)';
  const span = b.col - a.col;
  const emptyBetween = (row) => {
    for (let c = a.col + 1; c < b.col; c += 1) if (taken.get(c)?.has(row)) return false;
    return true;
  };
  if (a.row === b.row && (span === 1 || emptyBetween(a.row))) {
    return svg('line', { class: cls, x1: a.x + a.slot + 4, y1: a.mid, x2: b.x - 6, y2: a.mid, 'marker-end': marker });
  }
  if (a.row === b.row) {
    const y = a.mid - maxHeight / 2 - 8 - LABEL_FONT_PX - 2;
    const rise = clamp(8 + 5 * Math.log2(span), 12, ARC_LANE - 4);
    return svg('path', { class: `${cls} skip`, d: `M${a.cx},${y} C${a.cx},${y - rise} ${b.cx},${y - rise} ${b.cx},${y - 2}`, 'marker-end': marker });
  }
  // Between rows: run along whichever row is free between the two columns, then bend.
  const x1 = a.x + a.slot + 4;
  const x2 = b.x - 6;
  const bend = Math.min(GAP + 20, x2 - x1);
  let d;
  if (span > 1 && emptyBetween(a.row)) d = `M${x1},${a.mid} L${x2 - bend},${a.mid} C${x2 - bend / 3},${a.mid} ${x2 - (2 * bend) / 3},${b.mid} ${x2},${b.mid}`;
  else if (span > 1 && emptyBetween(b.row)) d = `M${x1},${a.mid} C${x1 + bend / 3},${a.mid} ${x1 + (2 * bend) / 3},${b.mid} ${x1 + bend},${b.mid} L${x2},${b.mid}`;
  else d = `M${x1},${a.mid} C${(x1 + x2) / 2},${a.mid} ${(x1 + x2) / 2},${b.mid} ${x2},${b.mid}`;
  return svg('path', { class: `${cls} skip`, d, 'marker-end': marker });
}

function describe(items, layers, graph) {
  const failing = layers.find((l) => l.status === 'error');
  const merges = layers.filter((l) => (l.inputs || []).length > 1).length;
  const shape = graph
    ? `Data flow, a graph of ${layers.length} layers with ${merges} merge${merges === 1 ? '' : 's'}: columns follow the depth, parallel branches are stacked, skip connections arc over the row.`
    : `Data flow: ${items.map((it) => (it.shape ? shapeText(it.shape) : '?')).join(' → ')}.`;
  if (!failing) return shape;
  const arriving = (failing.inputs || []).length > 1
    ? ` ${failing.inputs.map((n, k) => `${n} brings ${shapeText(failing.arriving?.[k])}`).join(', ')}.` : '';
  return `${graph ? `${shape} The` : 'Data flow: the'} map collapses at ${layerRef(failing.index, failing.name || failing.type)}.${arriving}`;
}

/** Draw the network's data flow from a report into `root` (an <svg>). */
export function renderDiagram(root, report, { layout: tensorLayout, inputShape, summaryId }) {
  const layers = report?.layers || [];
  const graph = isGraph(report);
  const sources = inputIndexes(report);
  const onTrace = new Set(layers.filter((l) => l.status === 'error' && l.trace)
    .flatMap((l) => [l.trace.split, ...l.trace.branches.flatMap((b) => b.steps.map((s) => s.layer))]));
  const items = [{ name: 'input', shape: layers[0]?.input || inputShape, status: 'ok', srcs: [] }]
    .concat(layers.map((l, i) => ({
      name: l.name || `#${l.index + 1}`, shape: l.output, status: l.status, type: l.type, arriving: l.arriving,
      inputs: l.inputs, srcs: sources[i].map((s) => s + 1), onTrace: onTrace.has(l.name),
    })));
  for (const it of items) {
    it.geometry = it.shape ? measure(it.shape, tensorLayout) : null;
    it.slot = slotWidth(it);
    const from = graph && it.inputs ? ` ← ${it.inputs.join(', ')}` : '';
    it.tooltip = `${it.name}${it.type ? ` (${it.type})` : ''}${from}: ${it.shape ? shapeText(it.shape) : it.status === 'error' ? 'no valid output' : 'unknown (after an error)'}`;
  }
  const taken = layout(items);
  const maxHeight = Math.max(30, ...items.filter((it) => it.geometry).map((it) => it.geometry.height + it.geometry.depth));
  const rows = Math.max(...items.map((it) => it.row)) + 1;
  const extraLines = Math.max(0, ...items.map((it) => shapeLines(it).length - 1));
  const lane = graph ? ARC_LANE : 0;
  const rowHeight = lane + LABEL_FONT_PX + 10 + maxHeight + 10 + LABEL_FONT_PX + extraLines * LINE_PX + PAD;
  const columns = Math.max(...items.map((it) => it.col)) + 1;
  const colWidth = new Array(columns).fill(0);
  for (const it of items) colWidth[it.col] = Math.max(colWidth[it.col], it.slot);
  const colX = [];
  let x = PAD;
  for (const w of colWidth) { colX.push(x); x += w + GAP; }
  for (const it of items) {
    it.x = colX[it.col] + (colWidth[it.col] - it.slot) / 2;
    it.cx = it.x + it.slot / 2;
    it.mid = PAD + it.row * rowHeight + lane + LABEL_FONT_PX + 10 + maxHeight / 2;
  }
  const width = x - GAP + PAD;
  const totalHeight = PAD + rows * rowHeight;
  root.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(totalHeight)}`);
  root.setAttribute('width', String(Math.ceil(width)));
  root.setAttribute('height', String(Math.ceil(totalHeight)));
  root.dataset.graph = graph ? 'true' : 'false';

  const defs = svg('defs', null, svg('marker', {
    id: 'cs-arrowhead', viewBox: '0 0 8 8', refX: 6, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
  }, svg('path', { class: 'arrowhead', d: 'M0,0 L8,4 L0,8 z' })));
  const edges = items.flatMap((b) => b.srcs.map((s) => edge(items[s], b, taken, maxHeight)));
  const blocks = items.map((it) => block(it, it.x, it.mid, maxHeight));
  fill(root, svg('title', { id: summaryId }, describe(items, layers, graph)), defs, ...edges, ...blocks);
}
