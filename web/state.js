// The one place page state <-> URL hash. The network part of the hash
// (v, fw, in, l) is written and read by the C++ core (encodeShareLink /
// decodeShareLink); this file declares the page's own keys, like
// TensorFlow Playground's state.ts, and — unlike it — reports every value
// it cannot use instead of silently ignoring it.
import { decodeLink, encodeLink, analyze } from './engine.js';

// The previews' keys (the previews themselves load after the first table).
export const SAMPLES = ['chelsea', 'coffee', 'astronaut', 'camera', 'brick', 'horse', 'text'];
export const DEFAULT_SAMPLE = 'chelsea';
export const DEFAULT_SEED = 42;
/** First-layer filters: `he` = seeded random like every other layer (weights.js has the kernels). */
export const FILTER_IDS = ['he', 'identity', 'sobel_x', 'sobel_y', 'laplacian', 'gaussian', 'sharpen', 'emboss'];
export const DEFAULT_FILTER = 'he';
export const MAX_GRID = 15; // largest kernel side the link and the grid editor carry

/** Short text for a number in a link or a grid cell: up to 6 significant digits. */
export function numberText(v) {
  const s = Number.isFinite(v) ? String(Number(v.toPrecision(6))) : '0';
  return s === '-0' ? '0' : s;
}

/** `w0`: a name from FILTER_IDS, or typed values `RxC_v_v_…` (row-major) -> {value, problem}. */
export function parseFilter(text) {
  const t = text.trim();
  if (FILTER_IDS.includes(t)) return { value: t, problem: null };
  const m = /^(\d{1,2})x(\d{1,2})_(.*)$/.exec(t);
  const rows = m ? Number(m[1]) : 0;
  const cols = m ? Number(m[2]) : 0;
  const parts = m ? m[3].split('_') : [];
  const values = parts.map((p) => (/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(p) ? Number(p) : NaN));
  let problem = null;
  if (!m) problem = `unknown filter '${t.slice(0, 40)}' (known: ${FILTER_IDS.join(', ')}, or RxC_v_v_… for typed values)`;
  else if (!rows || !cols || rows > MAX_GRID || cols > MAX_GRID) problem = `a typed filter is 1x1 to ${MAX_GRID}x${MAX_GRID}, got ${rows}x${cols}`;
  else if (parts.length !== rows * cols) problem = `a ${rows}x${cols} filter needs ${rows * cols} values, got ${parts.length}`;
  else if (values.some((v) => !(Math.abs(v) <= 1e6))) problem = 'typed filter values must be numbers within ±1e6';
  return problem ? { value: DEFAULT_FILTER, problem } : { value: { rows, cols, values }, problem };
}

const oneOf = (list, fallback, what) => (text) => {
  const t = text.trim();
  return list.includes(t) ? { value: t, problem: null } : { value: fallback, problem: `unknown ${what} '${t.slice(0, 40)}' (known: ${list.join(', ')})` };
};
const whole = (fallback, max, what) => (text) => {
  const t = text.trim();
  const ok = /^\d{1,10}$/.test(t) && Number(t) <= max && Number(t) >= (fallback === null ? 1 : 0);
  return ok ? { value: Number(t), problem: null } : { value: fallback, problem: `'${t.slice(0, 40)}' is not ${what}` };
};

/** The view beside the shape table: `view=compare` opens the framework comparison. */
export const VIEWS = ['table', 'compare'];
export const DEFAULT_VIEW = 'table';

/** Parts of the page an embed can hide: `hide=editor,diagram`. */
export const HIDEABLE = ['editor', 'table', 'diagram'];

// Declared UI properties carried in the link next to the network: the
// embed's `hide`, the open view (table only, or with the framework
// comparison), and the previews' image, weights and sliding-window layer
// (weights are generated from `seed` and `w0`, never stored: see weights.js).
// A value equal to the default is left out of the link.
export const UI_PROPS = [
  {
    key: 'hide',
    empty: () => [],
    parse(text) {
      const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
      const bad = parts.filter((p) => !HIDEABLE.includes(p));
      const value = HIDEABLE.filter((p) => parts.includes(p));
      return { value, problem: bad.length ? `unknown part${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')} (known: ${HIDEABLE.join(', ')})` : null };
    },
    write: (value) => (value.length ? value.join(',') : null),
  },
  { key: 'view', empty: () => DEFAULT_VIEW, parse: oneOf(VIEWS, DEFAULT_VIEW, 'view'), write: (v) => (v === DEFAULT_VIEW ? null : v) },
  // The previews: sample image (a user's own image is never in a link), the
  // seed of every layer's He init, the first conv layer's filter, and the
  // layer the sliding-window view shows (1-based; default: automatic).
  { key: 'img', empty: () => DEFAULT_SAMPLE, parse: oneOf(SAMPLES, DEFAULT_SAMPLE, 'sample image'), write: (v) => (v === DEFAULT_SAMPLE ? null : v) },
  { key: 'seed', empty: () => DEFAULT_SEED, parse: whole(DEFAULT_SEED, 0xffffffff, 'a whole number from 0 to 4294967295'), write: (v) => (v === DEFAULT_SEED ? null : String(v)) },
  {
    key: 'w0',
    empty: () => DEFAULT_FILTER,
    parse: parseFilter,
    write: (v) => (typeof v === 'string' ? (v === DEFAULT_FILTER ? null : v) : `${v.rows}x${v.cols}_${v.values.map(numberText).join('_')}`),
  },
  { key: 'win', empty: () => null, parse: whole(null, 99999, 'a layer number (1, 2, …)'), write: (v) => (v ? String(v) : null) },
];

export function defaultUi() {
  return Object.fromEntries(UI_PROPS.map((p) => [p.key, p.empty()]));
}

/** UI object -> extras pairs for encodeShareLink, in declared order, defaults left out. */
export function uiToExtras(ui) {
  const extras = [];
  for (const prop of UI_PROPS) {
    const text = prop.write(ui[prop.key] ?? prop.empty());
    if (text !== null) extras.push([prop.key, text]);
  }
  return extras;
}

function extrasToUi(extras, problems) {
  const ui = defaultUi();
  for (const pair of Array.isArray(extras) ? extras : []) {
    const [key, value] = Array.isArray(pair) ? pair : [];
    const prop = UI_PROPS.find((p) => p.key === key);
    if (!prop) {
      problems.push(`${key}: unknown link parameter, ignored`);
      continue;
    }
    const parsed = prop.parse(String(value ?? ''));
    ui[key] = parsed.value;
    if (parsed.problem) problems.push(`${key}: ${parsed.problem}, ignored`);
  }
  return ui;
}

/**
 * Read a hash (with or without '#').
 * Returns {empty: true}, or {fatal: message} when the link cannot be shown,
 * or {network, ui, analysis, problems} where problems are non-fatal notes.
 */
export function readLink(hashText) {
  const text = String(hashText || '').replace(/^#/, '');
  if (text === '') return { empty: true };
  const decoded = decodeLink(text);
  if (decoded.error) return { fatal: decoded.error };
  const analysis = analyze(decoded.network);
  // The decoder checks syntax only; meaning (e.g. a negative kernel) is
  // checked by analyze(), whose message names the JSON path.
  if (analysis.exitCode === 2) return { fatal: analysis.error };
  const problems = [];
  const ui = extrasToUi(decoded.extras, problems);
  return { network: decoded.network, ui, analysis, problems };
}

/**
 * Network + UI -> hash text without '#', or null when the engine cannot encode it.
 * Framework, mode, input and layers (with their `inputs`: a graph is a v=2
 * link) travel in a link; prose such as a preset's `description` stays
 * behind (the encoder refuses fields it cannot spell).
 */
export function writeLink(network, ui) {
  const result = encodeNetworkLink(network, ui);
  return result.error ? null : result.hash;
}

/** Same as writeLink, but {hash} or {error} so the page can say why a link could not be written. */
export function encodeNetworkLink(network, ui) {
  const { framework, mode, input, layers } = network;
  return encodeLink(mode === undefined ? { framework, input, layers } : { framework, mode, input, layers }, uiToExtras(ui || defaultUi()));
}

/** How the browser will spell a hash we write, so own writes can be told from navigation. */
export function normalizeHash(hash) {
  return new URL(`#${String(hash).replace(/^#/, '')}`, location.href).hash.replace(/^#/, '');
}

/**
 * History policy. Discrete actions (add, remove, move, fix, preset,
 * framework) push an entry so Back undoes them; typing in one field replaces
 * the entry it created, so a word typed is one Back, not one per key.
 * In an embed every write replaces: pushes inside an iframe would join the
 * host page's history and hijack its Back button.
 *
 * A replace is written once the edits pause (SETTLE_MS), or at once when
 * something else writes, typing ends (blur) or the page is hidden: each URL
 * change costs the browser a same-document navigation (in Chromium ~35 ms
 * of CPU across its processes, its favicon fetched again among it), which a
 * keystroke's preview refresh shares two cores with. While one waits, <html>
 * carries data-link-pending.
 */
const SETTLE_MS = 300;

export function createHistory({ embed }) {
  let current = normalizeHash(location.hash); // the state's hash: written, or waiting to be
  let written = current; // what location.hash says (as far as we wrote it)
  let typingKey = null;
  let pending = null; // the URL of a replace still to write
  let timer = 0;
  const mark = (on) => document.documentElement.toggleAttribute('data-link-pending', on);
  const drop = () => {
    clearTimeout(timer);
    timer = 0;
    pending = null;
    mark(false);
  };
  const flush = () => {
    if (pending === null) return;
    const url = pending;
    drop();
    history.replaceState(null, '', url);
    written = current;
  };
  addEventListener('pagehide', flush);
  addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flush(); });
  return {
    current: () => current,
    /** True when the location hash is not one we wrote (i.e. navigation happened). */
    isForeign: () => normalizeHash(location.hash) !== written,
    write(hash, { typing } = {}) {
      const next = normalizeHash(hash);
      if (next === current) return;
      const replace = embed || (typing && typing === typingKey);
      typingKey = typing || null;
      const url = `${location.pathname}${location.search}#${hash}`;
      current = next;
      if (replace) {
        pending = url;
        clearTimeout(timer);
        timer = setTimeout(flush, SETTLE_MS);
        mark(true);
        return;
      }
      flush(); // the entry being left gets its last state before the new one
      history.pushState(null, '', url);
      written = next;
    },
    /** Replace without starting a new entry (first load, falling back). */
    replace(hash) {
      drop();
      history.replaceState(null, '', `${location.pathname}${location.search}#${hash}`);
      current = written = normalizeHash(hash);
      typingKey = null;
    },
    endTyping() {
      flush();
      typingKey = null;
    },
    /** After the browser moved (back/forward/hand edit): adopt its hash as ours. */
    adopt() {
      drop();
      current = written = normalizeHash(location.hash);
      typingKey = null;
    },
  };
}
