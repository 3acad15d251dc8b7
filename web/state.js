// The one place page state <-> URL hash. The network part of the hash
// (v, fw, in, l) is written and read by the C++ core (encodeShareLink /
// decodeShareLink); this file declares the page's own keys, like
// TensorFlow Playground's state.ts, and — unlike it — reports every value
// it cannot use instead of silently ignoring it.
import { decodeLink, encodeLink, analyze } from './engine.js';

/** Parts of the page an embed can hide: `hide=editor,diagram`. */
export const HIDEABLE = ['editor', 'table', 'diagram'];

// Declared UI properties carried in the link next to the network. Issue 4's
// previews (image, seed, filters) add entries here.
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
 * Only framework, input and layers travel in a link; prose such as a preset's
 * `description` stays behind (the encoder refuses fields it cannot spell).
 */
export function writeLink(network, ui) {
  const result = encodeNetworkLink(network, ui);
  return result.error ? null : result.hash;
}

/** Same as writeLink, but {hash} or {error} so the page can say why a link could not be written. */
export function encodeNetworkLink(network, ui) {
  const { framework, input, layers } = network;
  return encodeLink({ framework, input, layers }, uiToExtras(ui || defaultUi()));
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
 */
export function createHistory({ embed }) {
  let current = normalizeHash(location.hash);
  let typingKey = null;
  return {
    current: () => current,
    /** True when the location hash is not one we wrote (i.e. navigation happened). */
    isForeign: () => normalizeHash(location.hash) !== current,
    write(hash, { typing } = {}) {
      const next = normalizeHash(hash);
      if (next === current) return;
      const replace = embed || (typing && typing === typingKey);
      typingKey = typing || null;
      const url = `${location.pathname}${location.search}#${hash}`;
      if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
      current = next;
    },
    /** Replace without starting a new entry (first load, falling back). */
    replace(hash) {
      history.replaceState(null, '', `${location.pathname}${location.search}#${hash}`);
      current = normalizeHash(hash);
      typingKey = null;
    },
    endTyping() { typingKey = null; },
    /** After the browser moved (back/forward/hand edit): adopt its hash as ours. */
    adopt() { current = normalizeHash(location.hash); typingKey = null; },
  };
}
