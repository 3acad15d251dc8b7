// Graph edits that need a choice: adding a residual shortcut or a concat
// skip to a layer, and removing a layer that others read. Loaded on first
// use (not in the first view). Each choice is previewed with the engine's
// own verdict before it is made, and each made choice is one mutation handed
// to the editor's commit: one analysis, one history step.
import { h, fill } from './dom.js';
import { shapeText } from './format.js';

export const MERGES = {
  add: { label: 'Residual shortcut', suffix: 'add', says: (a, b) => `add: ${a} + ${b}, element-wise` },
  concat: { label: 'Concat skip', suffix: 'cat', says: (a, b) => `concat: ${a}, then ${b}, along the channels` },
};

/** Every layer's name as the engine knows it (explicit, else the report's automatic one). */
const nameAt = (network, names, k) => (k < 0 ? 'input' : network.layers[k].name || names[k]);

function uniqueName(network, names, base) {
  const taken = new Set(network.layers.map((l, k) => l.name || names[k]));
  let name = base;
  for (let n = 2; taken.has(name); n += 1) name = `${base}_${n}`;
  return name;
}

/** A reference must survive renumbering, so a layer referred to by its automatic name gets that name for good. */
function pinName(network, names, k) {
  if (k >= 0 && !network.layers[k].name) network.layers[k].name = names[k];
  return nameAt(network, names, k);
}

/**
 * Insert `kind` (add | concat) right after layer `at`, reading layer `at` and
 * layer `from` (-1: the input). The layer below read layer `at` implicitly and
 * now reads the merge; explicit references to layer `at` keep naming it.
 * Mutates `network`; returns the merge's name.
 */
export function insertMerge(network, names, at, from, kind) {
  const self = pinName(network, names, at);
  const other = pinName(network, names, from);
  const name = uniqueName(network, names, `${self}_${MERGES[kind].suffix}`);
  network.layers.splice(at + 1, 0, { type: kind, name, inputs: [self, other] });
  return name;
}

/** The layers after `at` that name it in their inputs. */
export function readersOf(network, names, at) {
  const name = nameAt(network, names, at);
  return network.layers.map((l, k) => (k > at && l.inputs?.includes(name) ? k : -1)).filter((k) => k >= 0);
}

/** What layer `at` reads first: its readers read that instead once it is gone. */
export function sourceOf(network, names, at) {
  return network.layers[at].inputs?.[0] ?? nameAt(network, names, at - 1);
}

/** Remove layer `at`; with `rewire`, its readers read its first input instead. Mutates `network`. */
export function removeLayer(network, names, at, { rewire }) {
  const name = nameAt(network, names, at);
  const source = sourceOf(network, names, at);
  if (rewire) {
    if (source !== 'input') pinName(network, names, network.layers.findIndex((l, k) => nameAt(network, names, k) === source));
    for (const k of readersOf(network, names, at)) network.layers[k].inputs = network.layers[k].inputs.map((r) => (r === name ? source : r));
  }
  network.layers.splice(at, 1);
}

// ---- the dialog ---------------------------------------------------------------

let dialog = null;

function theDialog() {
  if (!dialog) {
    dialog = h('dialog', { id: 'graph-dialog', class: 'dialog', 'aria-labelledby': 'graph-dialog-title' });
    document.body.append(dialog);
  }
  return dialog;
}

/** The engine's verdict on a candidate network, in one sentence. */
function verdict(check, network) {
  const r = check(network);
  if (r.exitCode === 2) return { ok: false, text: `The engine would refuse it: ${r.error}` };
  const failing = r.report.layers.filter((l) => l.status === 'error');
  if (!failing.length) return { ok: true, text: `All ${r.report.layers.length} layers would be valid.` };
  const f = failing[0];
  return { ok: false, text: `Layer ${f.index + 1} (${f.name}) would fail: ${f.message}${failing.length > 1 ? ` (and ${failing.length - 1} more)` : ''}` };
}

function show(content, returnFocus) {
  const d = theDialog();
  fill(d, content);
  d.addEventListener('close', () => returnFocus?.isConnected && returnFocus.focus(), { once: true });
  if (!d.open) d.showModal();
  d.querySelector('[autofocus]')?.focus();
  return d;
}

/**
 * "Add a shortcut to layer `at`": pick the kind and the earlier layer, see
 * what the engine says, insert. ctx: {network, names, report, check, commit, returnFocus}.
 */
export function openShortcutDialog(at, ctx) {
  const { network, names, report, check, commit } = ctx;
  const self = nameAt(network, names, at);
  const shapes = (report?.layers || []).map((l) => l.output);
  const candidates = [];
  for (let k = at - 1; k >= -1; k -= 1) candidates.push(k);
  const sameShape = candidates.find((k) => k >= 0 && k < at - 1 && shapeText(shapes[k]) === shapeText(shapes[at]));
  const from = h('select', { id: 'shortcut-from', autofocus: true },
    candidates.map((k) => h('option', { value: String(k) },
      `${nameAt(network, names, k)} — ${shapeText(k < 0 ? network.input : shapes[k])}`)));
  from.value = String(sameShape ?? -1);
  const kinds = Object.entries(MERGES).map(([kind, m], n) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'shortcut-kind', value: kind, checked: n === 0 }), ` ${m.label} `,
    h('span', { class: 'muted', dataset: { says: kind } })));
  const outcome = h('p', { class: 'outcome', id: 'shortcut-outcome', role: 'status' });
  const kind = () => kinds.map((k) => k.querySelector('input')).find((i) => i.checked).value;
  const planned = () => {
    const next = structuredClone(network);
    const name = insertMerge(next, names, at, Number(from.value), kind());
    return { next, name };
  };
  const update = () => {
    const other = nameAt(network, names, Number(from.value));
    for (const span of dialog.querySelectorAll('[data-says]')) span.textContent = `(${MERGES[span.dataset.says].says(self, other)})`;
    const v = verdict(check, planned().next);
    outcome.textContent = v.text;
    outcome.classList.toggle('is-error', !v.ok);
  };
  const insert = h('button', { type: 'button', class: 'btn primary', id: 'shortcut-insert' }, 'Insert');
  const d = show([
    h('h2', { id: 'graph-dialog-title' }, `Connect an earlier layer to layer ${at + 1} (${self})`),
    h('p', { class: 'muted' }, `The merge goes right after ${self}; the layer below it then reads the merge.`),
    h('fieldset', { class: 'choices' }, h('legend', null, 'Kind'), kinds),
    h('label', { for: 'shortcut-from', class: 'code-label' }, 'From'), from,
    outcome,
    h('div', { class: 'dialog-actions' }, insert,
      h('button', { type: 'button', class: 'btn', onclick: () => dialog.close() }, 'Cancel')),
  ], ctx.returnFocus);
  d.onchange = update;
  insert.onclick = () => {
    const k = kind();
    const source = Number(from.value);
    dialog.close();
    commit((n) => { insertMerge(n, names, at, source, k); }, {
      rebuild: true, focus: { index: at + 1, control: 'type' },
      announce: `Inserted ${MERGES[k].label.toLowerCase()} after ${self}, from ${nameAt(network, names, source)}.`,
    });
  };
  update();
}

/** "Remove layer `at`", when other layers read it: say what would break, offer rewiring or cancel. */
export function openRemoveDialog(at, ctx) {
  const { network, names, check, commit, label } = ctx;
  const name = nameAt(network, names, at);
  const readers = readersOf(network, names, at).map((k) => nameAt(network, names, k));
  const source = sourceOf(network, names, at);
  const broken = structuredClone(network);
  removeLayer(broken, names, at, { rewire: false });
  const rewired = structuredClone(network);
  removeLayer(rewired, names, at, { rewire: true });
  const after = verdict(check, rewired);
  const list = readers.join(', ');
  show([
    h('h2', { id: 'graph-dialog-title' }, `Remove ${label}?`),
    h('p', null, `${list} ${readers.length === 1 ? 'reads' : 'read'} ${name}. Removed alone, the network would break:`),
    h('p', { class: 'outcome is-error', id: 'remove-breaks' }, verdict(check, broken).text),
    h('p', null, `Rewired, ${list} ${readers.length === 1 ? 'reads' : 'read'} ${source} (what ${name} reads first) instead:`),
    h('p', { class: `outcome${after.ok ? '' : ' is-error'}`, id: 'remove-rewired' }, after.text),
    h('div', { class: 'dialog-actions' },
      h('button', {
        type: 'button', class: 'btn primary', id: 'remove-rewire', autofocus: true,
        onclick: () => {
          dialog.close();
          commit((n) => removeLayer(n, names, at, { rewire: true }), {
            rebuild: true, focus: { index: Math.min(at, network.layers.length - 2), control: 'remove' },
            announce: `Removed ${label}; ${list} now read${readers.length === 1 ? 's' : ''} ${source}`,
          });
        },
      }, `Rewire to ${source} and remove`),
      h('button', { type: 'button', class: 'btn', onclick: () => dialog.close() }, 'Cancel')),
  ], ctx.returnFocus);
}
