// The "Code" panel: the model code the user pasted, shown beside the shape
// table with line numbers, so every layer read from it links to its line.
// Loaded on demand (after an import of code, or on a reload in a tab that
// had one): the first view carries none of it.
//
// The code is untrusted text: it is only ever set as textContent (dom.js).
// It lives in memory and in sessionStorage (a reload in this tab keeps it),
// never in the address bar: share links carry the network without sources.
// Links and history entries do not carry the layers' sources either, so the
// panel remembers them per state (hash) and gives them back to a network
// restored from the address bar (Back, Forward, reload).
import { h, fill } from './dom.js';
import { normalizeHash } from './state.js';

// The code (written once per import) and the states' sources (on every
// edit) under two keys, so an edit does not copy the code again. app.js
// looks for the first at boot.
const STORE = 'convscope:code';
const STATES = 'convscope:code-states';
const STATES_KEPT = 40;

/** sessionStorage may be disabled (privacy settings, sandboxed frames): then the code lives in memory only. */
function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    if (!saved || typeof saved.code !== 'string') return null;
    const states = JSON.parse(sessionStorage.getItem(STATES) || '[]');
    return { ...saved, states: Array.isArray(states) ? states : [] };
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key); else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Too large for the tab's storage, or storage is off: the code stays in memory.
  }
}

const hasSources = (network) => (network?.layers || []).some((l) => l?.source);

/**
 * anchor: the element the panel goes after; onImport(network, notes, source,
 * read): the page's import path ('' or why not), for "Model to read";
 * announce(text): the page's status line.
 */
export function createCodePanel({ anchor, onImport, announce }) {
  // {code, models, model, options, states: [[hash, sources by layer index]]}
  let session = load();
  let current = null; // the highlighted line element
  let shown = false;

  const title = h('h2', { id: 'code-heading', class: 'panel-title' }, 'Code');
  const toggle = h('button', {
    type: 'button', class: 'btn btn-small', id: 'code-toggle', 'aria-expanded': 'true', 'aria-controls': 'code-body',
  }, 'Hide code');
  const modelSelect = h('select', { id: 'code-model' });
  const modelField = h('span', { class: 'code-model', hidden: true },
    h('label', { for: 'code-model' }, 'Model to read'), ' ', modelSelect);
  const view = h('div', {
    id: 'code-view', class: 'code-view mono', tabindex: '0', role: 'region', 'aria-label': 'The pasted code, with line numbers',
  });
  const problem = h('p', { id: 'code-error', class: 'code-error', role: 'alert' });
  const body = h('div', { id: 'code-body', class: 'code-body' }, problem, view);
  const panel = h('section', { id: 'code-panel', class: 'panel code-panel', 'aria-labelledby': 'code-heading', hidden: true },
    h('div', { class: 'panel-head' }, title, modelField, toggle), body);
  anchor.after(panel);

  function setOpen(open) {
    body.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide code' : 'Show code';
  }

  function draw() {
    const lines = session.code.split(/\r\n|\r|\n/);
    const width = String(lines.length).length;
    fill(view, h('ol', { class: 'code-lines' }, lines.map((text, i) => h('li', { id: `code-line-${i + 1}`, tabindex: '-1' },
      h('span', { class: 'ln', 'aria-hidden': 'true' }, String(i + 1).padStart(width, ' ')),
      h('span', { class: 'code-text' }, text || ' ')))));
    current = null;
    const models = session.models || [];
    modelField.hidden = models.length < 2;
    fill(modelSelect, models.map((m) => h('option', { value: m }, m)));
    modelSelect.value = session.model || '';
  }

  toggle.addEventListener('click', () => setOpen(body.hidden));
  // "Model to read": the same code read again with another of the models it defines.
  modelSelect.addEventListener('change', async () => {
    const name = modelSelect.value;
    const { code, options } = session;
    modelSelect.value = session.model || ''; // until the new reading is applied
    fill(problem);
    const { importModel } = await import('./full-engine.js');
    const result = await importModel(code, { ...options, model: name });
    const why = result.error || onImport(result.network, result.notes, `${name} from the pasted code`, { ...result, code, options });
    if (why) fill(problem, `${name} could not be read: ${why}`);
  });

  return {
    /** Whether the page has code whose lines the current network's sources point at. */
    get shown() { return shown; },

    /** A code import was applied (the page shows `network` at `hash`): keep its code, replacing any earlier, and show it. */
    show(read, hash, network) {
      const { code, models = [], model = '', options = {} } = read;
      session = { code, models, model, options, states: [] };
      store(STORE, { code, models, model, options });
      draw();
      setOpen(true);
      this.remember(hash, network);
    },

    /** Something else was imported: the code is no longer the network's. */
    clear() {
      session = null;
      store(STORE, null);
      store(STATES, null);
      fill(view);
      panel.hidden = true;
      shown = false;
    },

    /** A state the page shows (hash written to the address bar): remember its sources. */
    remember(hash, network) {
      if (!session || !hash || !hasSources(network)) return;
      const key = normalizeHash(hash); // as the address bar spells it
      const sources = network.layers.map((l) => l.source || null);
      session.states = session.states.filter(([known]) => known !== key).concat([[key, sources]]).slice(-STATES_KEPT);
      store(STATES, session.states);
    },

    /** A network read from the address bar has no sources: the ones this state had, if it had any. */
    restore(hash, network) {
      const key = normalizeHash(hash);
      const entry = session && !hasSources(network) && session.states.find(([known]) => known === key);
      if (!entry || entry[1].length !== network.layers.length) return network;
      return { ...network, layers: network.layers.map((l, i) => (entry[1][i] ? { ...l, source: entry[1][i] } : l)) };
    },

    /** Show the panel while the network has lines in this code, hide it otherwise. */
    sync(network) {
      if (session && !view.firstChild) draw();
      shown = Boolean(session) && hasSources(network);
      panel.hidden = !shown;
      return shown;
    },

    /** Open the panel at `line`, highlighted, and give it the focus (keyboard users land there). */
    goTo(line) {
      const row = view.querySelector(`#code-line-${Number(line)}`);
      if (!shown || !row) {
        announce(`Line ${line} is not in the code this page has.`);
        return;
      }
      setOpen(true);
      current?.classList.remove('is-current');
      current = row;
      row.classList.add('is-current');
      const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
      row.scrollIntoView({ block: 'center', behavior: still ? 'auto' : 'smooth' });
      row.focus({ preventScroll: true });
      announce(`Line ${line} of the code.`);
    },
  };
}
