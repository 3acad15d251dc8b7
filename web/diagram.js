// The data flow as pseudo-3D blocks: front face height follows the first
// spatial dim, depth the second, thickness the channels (all log-scaled so a
// 224×224 input and a 7×7 map both stay readable). The failing layer is
// drawn as a red dashed marker: where the map collapses.
//
// A graph is laid out in layers from the report's `inputs`: a block's column
// is one more than its deepest input's, a block takes its first input's row
// unless that cell is taken (parallel branches stack below), and an edge that
// skips columns arcs over the row. A chain is the one-row special case.
//
// A big graph (an imported ResNet-50 or DenseNet-121) draws its repeated
// blocks collapsed (diagram-groups.js); a click or Enter opens one. A failing
// merge shows every arriving shape, and both paths back to where they split
// are drawn in the error colour. Every block is focusable (one tab stop,
// `data-col`/`data-row` for the arrow keys of diagram-view.js).
import { svg, fill } from './dom.js';
import { splitShape, shapeText, inputIndexes, isGraph, layerRef } from './format.js';
import { findGroups, expandedGroups, collapsedAt, tracePaths, COLLAPSE_ABOVE } from './diagram-groups.js';

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

function groupLine(it) {
  return it.group ? [`${it.group.end - it.group.start + 1} layers`] : [];
}

function slotWidth(it) {
  const width = it.geometry ? it.geometry.face + it.geometry.depth : 22;
  const chars = Math.max(shorten(it.name).length, ...shapeLines(it).concat(groupLine(it)).map((l) => l.length));
  return Math.max(width, chars * CHAR_PX);
}

function block(it, x, mid, maxHeight) {
  const { geometry, status } = it;
  const width = geometry ? geometry.face + geometry.depth : 22;
  const bx = x + (it.slot - width) / 2;
  const group = svg('g', {
    class: `blk is-${status}${it.onTrace ? ' is-trace' : ''}${it.group ? ' is-group' : ''}`,
    tabindex: -1, role: it.group ? 'button' : 'img', 'aria-label': it.tooltip,
    'aria-expanded': it.group ? 'false' : undefined,
    dataset: it.group ? { key: it.key, col: it.col, row: it.row, group: it.group.key } : { key: it.key, col: it.col, row: it.row },
  }, svg('title', null, it.tooltip));
  if (it.group) {
    // A collapsed block: a second face behind the first says "several layers".
    const s = 22;
    group.append(svg('rect', { class: 'stack', x: bx + 4, y: mid - s / 2 - 4, width: Math.max(width, s), height: s, rx: 3 }));
  }
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
    ...shapeLines(it).map((line, k) => svg('text', { class: 'lbl shape', x: it.cx, y: bottom + k * LINE_PX, 'text-anchor': 'middle' }, line)),
    ...groupLine(it).map((line) => svg('text', { class: 'lbl count', x: it.cx, y: bottom + shapeLines(it).length * LINE_PX, 'text-anchor': 'middle' }, line)));
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
function edge(a, b, taken, maxHeight, onTrace) {
  const cls = `${b.status === 'error' || b.status === 'skipped' ? 'arrow broken' : 'arrow'}${onTrace ? ' is-trace' : ''}`;
  const marker = onTrace ? 'url(#cs-arrowhead-trace)' : 'url(#cs-arrowhead)';
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


function describe(items, layers, graph, collapsed) {
  const failing = layers.find((l) => l.status === 'error');
  const merges = layers.filter((l) => (l.inputs || []).length > 1).length;
  const blocks = collapsed ? ` Drawn as ${items.length - 1} blocks, ${collapsed} of them collapsed groups of layers (Enter or a click opens one).` : '';
  const shape = graph
    ? `Data flow, a graph of ${layers.length} layers with ${merges} merge${merges === 1 ? '' : 's'}: columns follow the depth, parallel branches are stacked, skip connections arc over the row.${blocks}`
    : `Data flow: ${items.map((it) => (it.shape ? shapeText(it.shape) : '?')).join(' → ')}.`;
  if (!failing) return shape;
  const arriving = (failing.inputs || []).length > 1
    ? ` ${failing.inputs.map((n, k) => `${n} brings ${shapeText(failing.arriving?.[k])}`).join(', ')}.` : '';
  return `${graph ? `${shape} The` : 'Data flow: the'} map collapses at ${layerRef(failing.index, failing.name || failing.type)}.${arriving}`;
}

const WORST = ['ok', 'warning', 'skipped', 'error'];

/** Inside an open block the block's frame names the prefix: `/layer1/layer1.0/conv1/Conv` reads `conv1/Conv`. */
function shortName(name, chain) {
  const inner = chain.at(-1);
  return inner && name ? name.slice(inner.prefix.length + 1) : name;
}

/** The blocks to draw: the input, then each layer or the collapsed group it sits in, with edges between them. */
function visibleItems(layers, sources, groups, expanded, trace, framed) {
  const items = [{ key: 'input', name: 'input', shape: layers[0]?.input, status: 'ok', srcs: [], members: [] }];
  const itemOf = [];
  const byGroup = new Map();
  layers.forEach((l, i) => {
    const g = collapsedAt(groups.chains, expanded, i);
    let it = g && byGroup.get(g);
    if (!it) {
      it = g
        ? { key: `g:${g.key}`, name: g.label, group: g, status: 'ok', members: [] }
        : { key: `l:${i}`, name: (framed ? shortName(l.name, groups.chains[i]) : l.name) || `#${l.index + 1}`, fullName: l.name, shape: l.output, status: l.status, type: l.type, arriving: l.arriving, inputs: l.inputs, source: l.source, members: [] };
      if (g) byGroup.set(g, it);
      items.push(it);
    }
    it.members.push(i);
    if (g) {
      it.shape = l.output;
      if (WORST.indexOf(l.status) > WORST.indexOf(it.status)) it.status = l.status;
    }
    if (trace.nodes.has(i)) it.onTrace = true;
    itemOf[i] = items.length - 1;
  });
  const at = (s) => (s < 0 ? 0 : itemOf[s]);
  for (const [k, it] of items.entries()) {
    const srcs = new Set(it.members.flatMap((i) => sources[i].map(at)));
    srcs.delete(k);
    it.srcs = [...srcs];
    it.traceSrcs = new Set(it.members.flatMap((i) => sources[i].filter((s) => trace.edges.has(`${s}>${i}`)).map(at)));
  }
  return items;
}

function tooltipOf(it, graph) {
  if (it.group) {
    const g = it.group;
    return `${g.prefix}: ${g.end - g.start + 1} layers (${g.start + 1} to ${g.end + 1}), collapsed → ${it.shape ? shapeText(it.shape) : it.status === 'error' ? 'a layer inside fails' : 'unknown'}. Press Enter to open.`;
  }
  const from = graph && it.inputs ? ` ← ${it.inputs.join(', ')}` : '';
  // A layer read from pasted code: the line it came from.
  const line = it.source ? `; line ${it.source.line}: ${it.source.code}` : '';
  return `${it.fullName ?? it.name}${it.type ? ` (${it.type})` : ''}${from}: ${it.shape ? shapeText(it.shape) : it.status === 'error' ? 'no valid output' : 'unknown (after an error)'}${line}`;
}

/** A frame around each open group of a collapsible graph, with a button that closes it. */
function frames(items, groups, expanded, rowTop, rowHeight) {
  const out = [];
  for (const g of groups.groups) {
    if (!expanded.has(g.key) || groups.chains[g.start].some((p) => p.depth < g.depth && !expanded.has(p.key))) continue;
    const members = items.filter((it) => it.members.some((i) => i >= g.start && i <= g.end));
    if (!members.length) continue;
    const inset = 3 * g.depth;
    const x1 = Math.min(...members.map((it) => it.x)) - 6 + inset;
    const x2 = Math.max(...members.map((it) => it.x + it.slot)) + 6 - inset;
    const y1 = rowTop(Math.min(...members.map((it) => it.row))) + 2 + 15 * g.depth; // nested labels stack
    const y2 = rowTop(Math.max(...members.map((it) => it.row))) + rowHeight - 4;
    const label = `Collapse ${g.prefix} (${g.end - g.start + 1} layers)`;
    out.push(svg('g', { class: 'group-frame' },
      svg('rect', { class: 'frame', x: x1, y: y1, width: x2 - x1, height: y2 - y1, rx: 6 }),
      svg('g', { class: 'frame-head', tabindex: -1, role: 'button', 'aria-expanded': 'true', 'aria-label': label, dataset: { key: `f:${g.key}`, group: g.key, col: Math.min(...members.map((it) => it.col)), row: Math.min(...members.map((it) => it.row)) - 0.5 } },
        svg('title', null, label),
        svg('text', { class: 'lbl frame-label', x: x1 + 6, y: y1 + LABEL_FONT_PX + 2 }, `▾ ${shorten(g.label)}`))));
  }
  return out;
}

// Per <svg>: the user's open/closed choices (group key -> open), the last
// drawing's arguments (a toggle redraws) and the focused block's key.
const memory = new WeakMap();

function remember(root) {
  if (!memory.has(root)) {
    const m = { toggled: new Map(), args: null, focus: null };
    memory.set(root, m);
    const toggle = (target) => {
      const el = target.closest('[data-group]');
      if (!el || !m.args) return;
      const open = el.getAttribute('aria-expanded') !== 'true';
      m.toggled.set(el.dataset.group, open);
      m.focus = `${open ? 'f' : 'g'}:${el.dataset.group}`;
      renderDiagram(...m.args);
      const next = root.querySelector(`[data-key="${CSS.escape(m.focus)}"]`);
      next?.focus();
    };
    root.addEventListener('click', (e) => toggle(e.target));
    root.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && e.target.closest?.('[data-group]')) { e.preventDefault(); toggle(e.target); }
    });
    root.addEventListener('focusin', (e) => {
      const el = e.target.closest?.('[data-key]');
      if (!el) return;
      m.focus = el.dataset.key;
      for (const other of root.querySelectorAll('[tabindex="0"]')) other.setAttribute('tabindex', '-1');
      el.setAttribute('tabindex', '0');
    });
  }
  return memory.get(root);
}

/** Open every block (true), or go back to the automatic choice (false); redraws. */
export function setAllGroups(root, open) {
  const m = memory.get(root);
  if (!m?.args) return;
  m.toggled.clear();
  if (open) for (const g of findGroups(m.args[1]?.layers || []).groups) m.toggled.set(g.key, true);
  renderDiagram(...m.args);
}

/** Draw the network's data flow from a report into `root` (an <svg>). */
export function renderDiagram(root, report, options) {
  const { layout: tensorLayout, inputShape, summaryId } = options;
  const m = remember(root);
  m.args = [root, report, options];
  const layers = report?.layers || [];
  const graph = isGraph(report);
  const sources = inputIndexes(report);
  const trace = tracePaths(layers, sources);
  const groups = findGroups(layers);
  const mustShow = [...trace.nodes].filter((i) => i >= 0).concat(layers.filter((l) => l.status === 'error').map((l) => l.index));
  const expanded = expandedGroups(layers, groups, mustShow, m.toggled);
  const collapsible = layers.length > COLLAPSE_ABOVE || m.toggled.size > 0;
  const items = visibleItems(layers, sources, groups, expanded, trace, collapsible);
  if (!items[0].shape) items[0].shape = inputShape;
  for (const it of items) {
    it.geometry = it.shape ? measure(it.shape, tensorLayout) : null;
    it.slot = slotWidth(it);
    it.tooltip = tooltipOf(it, graph);
  }
  const taken = layout(items);
  const maxHeight = Math.max(30, ...items.filter((it) => it.geometry).map((it) => it.geometry.height + it.geometry.depth));
  const rows = Math.max(...items.map((it) => it.row)) + 1;
  const extraLines = Math.max(0, ...items.map((it) => shapeLines(it).length + groupLine(it).length - 1));
  const lane = graph ? ARC_LANE : 0;
  const rowHeight = lane + LABEL_FONT_PX + 10 + maxHeight + 10 + LABEL_FONT_PX + extraLines * LINE_PX + PAD;
  const columns = Math.max(...items.map((it) => it.col)) + 1;
  const colWidth = new Array(columns).fill(0);
  for (const it of items) colWidth[it.col] = Math.max(colWidth[it.col], it.slot);
  const colX = [];
  let x = PAD;
  for (const w of colWidth) { colX.push(x); x += w + GAP; }
  const rowTop = (row) => PAD + row * rowHeight;
  for (const it of items) {
    it.x = colX[it.col] + (colWidth[it.col] - it.slot) / 2;
    it.cx = it.x + it.slot / 2;
    it.mid = rowTop(it.row) + lane + LABEL_FONT_PX + 10 + maxHeight / 2;
  }
  const width = Math.ceil(x - GAP + PAD);
  const totalHeight = Math.ceil(PAD + rows * rowHeight);
  // diagram-view.js zooms by scaling the drawing's size; the viewBox stays.
  const zoom = Number(root.dataset.zoom) || 1;
  root.setAttribute('viewBox', `0 0 ${width} ${totalHeight}`);
  root.setAttribute('width', String(Math.ceil(width * zoom)));
  root.setAttribute('height', String(Math.ceil(totalHeight * zoom)));
  Object.assign(root.dataset, { graph: graph ? 'true' : 'false', width, height: totalHeight, blocks: items.length - 1 });

  const defs = svg('defs', null, ['cs-arrowhead', 'cs-arrowhead-trace'].map((id) => svg('marker', {
    id, viewBox: '0 0 8 8', refX: 6, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
  }, svg('path', { class: id.endsWith('trace') ? 'arrowhead is-trace' : 'arrowhead', d: 'M0,0 L8,4 L0,8 z' }))));
  const edges = items.flatMap((b) => b.srcs.map((s) => {
    const line = edge(items[s], b, taken, maxHeight, b.traceSrcs.has(s));
    Object.assign(line.dataset, { from: items[s].key, to: b.key });
    return line;
  }));
  // Trace edges last, so they are drawn over the others they cross.
  edges.sort((a, b) => a.classList.contains('is-trace') - b.classList.contains('is-trace'));
  const blocks = items.map((it) => block(it, it.x, it.mid, maxHeight));
  const collapsed = items.filter((it) => it.group).length;
  fill(root, svg('title', { id: summaryId }, describe(items, layers, graph, collapsed)), defs,
    collapsible ? frames(items, groups, expanded, rowTop, rowHeight) : null, ...edges, ...blocks);
  // One tab stop: the block focused last, else the failing one, else the input.
  const first = layers.find((l) => l.status === 'error');
  const stop = (m.focus && root.querySelector(`[data-key="${CSS.escape(m.focus)}"]`))
    || (first && root.querySelector(`[data-key="l:${first.index}"]`)) || root.querySelector('[data-key]');
  stop?.setAttribute('tabindex', '0');
}
