// What the diagram of a big graph draws as one block, and the paths of a
// failing merge. Pure functions over the report (no DOM), so Node tests can
// check them; no sizes are computed here, only which layers belong together.
//
// Blocks come from the layer names, because importers and presets name
// layers by module path: `/layer1/layer1.0/conv1/Conv` (ONNX) or
// `layer1.0.conv1` (PyTorch) both sit in `layer1` and in `layer1.0`; Keras
// joins with '_' (`conv2_block1_1_conv` sits in `conv2` and `conv2_block1`). A block
// is a run of consecutive layers sharing a name prefix; the report lists
// layers in the order they run, so a run is also closed under "reads an
// earlier layer". A prefix that holds one layer, or exactly the layers of its
// parent, is no block of its own.

/** Above this many layers, blocks start collapsed (as few levels as needed to show at most this many). */
export const COLLAPSE_ABOVE = 60;

const SEPARATORS = new Set(['/', '.', '_']);

/** Every proper prefix of a name that ends before a separator. */
function prefixes(name) {
  const out = [];
  for (let k = 1; k < name.length; k += 1) if (SEPARATORS.has(name[k])) out.push(name.slice(0, k));
  return out;
}

/**
 * The blocks of a report: [{key, prefix, label, start, end, parent, depth}],
 * parents before children; and per layer the chain of its blocks, outermost first.
 */
export function findGroups(layers) {
  const raw = [];
  let open = []; // the blocks containing the previous layer, outermost first
  layers.forEach((layer, i) => {
    const chain = prefixes(layer.name || '');
    let keep = 0;
    while (keep < open.length && keep < chain.length && open[keep].prefix === chain[keep]) keep += 1;
    open = open.slice(0, keep);
    for (const prefix of chain.slice(keep)) {
      const g = { prefix, start: i, end: i, parent: open.at(-1) || null };
      raw.push(g);
      open.push(g);
    }
    for (const g of open) g.end = i;
  });
  // Drop single layers and blocks equal to their parent; re-parent the rest.
  const kept = new Map();
  const real = (g) => { while (g && !kept.has(g)) g = g.parent; return g; };
  const groups = [];
  for (const g of raw) {
    const parent = real(g.parent);
    if (g.end === g.start || (parent && parent.start === g.start && parent.end === g.end)) continue;
    const slash = g.prefix.lastIndexOf('/');
    const group = {
      key: `${g.prefix}@${g.start}`, prefix: g.prefix, label: slash >= 0 ? g.prefix.slice(slash + 1) : g.prefix,
      start: g.start, end: g.end, parent: parent ? kept.get(parent) : null,
    };
    group.depth = group.parent ? group.parent.depth + 1 : 0;
    kept.set(g, group);
    groups.push(group);
  }
  const chains = layers.map(() => []);
  for (const g of groups) for (let i = g.start; i <= g.end; i += 1) chains[i].push(g);
  for (const c of chains) c.sort((a, b) => a.depth - b.depth);
  return { groups, chains };
}

/** The outermost collapsed block holding layer i, or null when it is drawn itself. */
export function collapsedAt(chains, expanded, i) {
  return chains[i].find((g) => !expanded.has(g.key)) || null;
}

function visibleCount(layers, chains, expanded) {
  const seen = new Set();
  let n = 0;
  for (let i = 0; i < layers.length; i += 1) {
    const g = collapsedAt(chains, expanded, i);
    if (!g) n += 1;
    else if (!seen.has(g)) { seen.add(g); n += 1; }
  }
  return n;
}

/**
 * The blocks to open: none when the graph is small enough to draw whole;
 * otherwise whole levels, outermost first, while the drawing stays at most
 * COLLAPSE_ABOVE blocks; always the blocks holding `mustShow` (the failing
 * layers and their paths); then the user's own choices (`toggled`: key -> open).
 */
export function expandedGroups(layers, { groups, chains }, mustShow, toggled) {
  const expanded = new Set();
  if (layers.length <= COLLAPSE_ABOVE) groups.forEach((g) => expanded.add(g.key));
  else {
    const depths = Math.max(0, ...groups.map((g) => g.depth + 1));
    for (let d = 0; d < depths; d += 1) {
      const next = new Set(expanded);
      groups.filter((g) => g.depth === d).forEach((g) => next.add(g.key));
      if (visibleCount(layers, chains, next) > COLLAPSE_ABOVE) break;
      next.forEach((k) => expanded.add(k));
    }
  }
  for (const i of mustShow) chains[i]?.forEach((g) => expanded.add(g.key));
  for (const [key, open] of toggled) if (open) expanded.add(key); else expanded.delete(key);
  return expanded;
}

/**
 * The two (or more) paths of each failing merge with a branch trace, back to
 * where they split: {nodes: Set of layer indexes, edges: Set of "from>to"}
 * (-1 is the network input). A path is every layer that both descends from
 * the split and leads to that input of the merge.
 */
export function tracePaths(layers, sources) {
  const index = new Map(layers.map((l, i) => [l.name, i]));
  index.set('input', -1);
  const nodes = new Set();
  const edges = new Set();
  const ancestors = (start) => {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) {
      const at = stack.pop();
      for (const s of at >= 0 ? sources[at] : []) if (!seen.has(s)) { seen.add(s); stack.push(s); }
    }
    return seen;
  };
  layers.forEach((layer, merge) => {
    const split = layer.trace ? index.get(layer.trace.split) : undefined;
    if (layer.status !== 'error' || split === undefined) return;
    nodes.add(merge);
    for (const branch of layer.trace.branches || []) {
      const from = sources[merge][branch.input];
      if (from === undefined) continue;
      const up = ancestors(from);
      if (!up.has(split)) continue;
      // Descendants of the split among the ancestors of this input: walk forward in report order.
      const path = new Set([split]);
      for (let i = Math.max(split + 1, 0); i <= from; i += 1) {
        if (up.has(i) && sources[i].some((s) => path.has(s))) path.add(i);
      }
      for (const i of path) {
        nodes.add(i);
        if (i >= 0) for (const s of sources[i]) if (path.has(s)) edges.add(`${s}>${i}`);
      }
      edges.add(`${from}>${merge}`);
    }
  });
  return { nodes, edges };
}
