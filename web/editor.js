// The layer editor: framework, input shape and the list of layers with the
// chosen framework's parameter names and defaults (all from the engine's
// layerSchema()). It never computes shapes; every change goes to app.js as
// a mutation of a copy of the network, and app.js re-analyses.
//
// Rebuilding the list on every keystroke would lose the caret, so the list
// is rebuilt only for structural changes (add, remove, move, type, framework,
// preset, history); field edits just commit and leave the DOM alone.
//
// Graphs: a layer's `inputs` (names of earlier layers, or `input`) is one
// text field, shown once the network has any (or the layer type takes
// several); renaming a layer renames the references to it. Adding a shortcut
// or skip, and removing a layer others read, go through graph-edit.js's
// dialogs (what would break, the choices). The engine judges the names.
import { h, fill } from './dom.js';
import { parseField, formatField, defaultText, parseShape, formatShape } from './fields.js';
import { layoutLabel, shapeText, layerRef } from './format.js';
import { attachDrag } from './reorder.js';
import { icon } from './icons.js';

// Values for a freshly added layer's required fields, so it analyses at once.
// UI convenience only; the engine still validates them.
const NEW_LAYER_VALUES = {
  conv: { filters: 16, kernel: 3 },
  conv_transpose: { filters: 16, kernel: 2, stride: 2 },
  depthwise_conv: { kernel: 3 },
  max_pool: { kernel: 2 },
  avg_pool: { kernel: 2 },
  adaptive_avg_pool: { output_size: 1 },
  zero_pad: { padding: 1 },
  crop: { cropping: 1 },
  upsample: { scale: 2 },
  dense: { units: 10 },
  activation: { function: 'relu' },
  channel_shuffle: { groups: 2 },
  channel_split: { chunks: 2, index: 0 },
  reshape: { shape: [-1] },  // x.view(x.size(0), -1): fits whatever arrives
};
const FALLBACK_BY_KIND = { count: 8, axes: 2, number: 1, padding: 0, string: '' };
const LAZY_TYPE_LISTS_ABOVE = 60; // layers; see typeSelect

export function createEditor(root, schema, actions) {
  const types = new Map(schema.types.map((t) => [t.type, t]));
  const frameworks = new Map(schema.frameworks.map((f) => [f.id, f]));
  let network = null;
  let lastReport = null;
  let reportNames = []; // the engine's name of every layer (automatic ones included), from the last report
  let graphMode = false; // some layer has inputs (or takes several): every card shows its inputs field

  const frameworkSelect = h('select', { id: 'framework', name: 'framework', 'aria-describedby': 'framework-error' },
    schema.frameworks.map((f) => h('option', { value: f.id }, f.label)));
  const inputField = h('input', {
    id: 'input-shape', name: 'input-shape', type: 'text', inputmode: 'numeric', autocomplete: 'off',
    spellcheck: 'false', class: 'mono', 'aria-describedby': 'input-layout input-shape-error',
  });
  const inputLayout = h('span', { id: 'input-layout', class: 'hint mono' });
  const list = h('ol', { class: 'layer-list', 'aria-label': 'Layers' });
  const addType = h('select', { id: 'add-type', 'aria-label': 'Type of layer to add' });
  const addButton = h('button', { type: 'button', class: 'btn', id: 'add-layer' }, icon('plus'), 'Add layer');
  const generalError = h('p', { class: 'field-error', id: 'editor-error', hidden: true });
  const graphHint = h('p', { class: 'hint', id: 'inputs-hint', hidden: true },
    'A graph: each layer reads the layers named in its inputs field (comma-separated, “input” for the network input; empty: the layer above). Renaming a layer renames its references; removing one that others read asks first.');

  fill(root,
    h('div', { class: 'net-controls' },
      h('div', { class: 'control' },
        h('label', { for: 'framework' }, 'Framework'), frameworkSelect,
        h('span', { class: 'field-error', id: 'framework-error', hidden: true })),
      h('div', { class: 'control' },
        h('label', { for: 'input-shape' }, 'Input shape'), inputField, inputLayout,
        h('span', { class: 'field-error', id: 'input-shape-error', hidden: true }))),
    generalError,
    graphHint,
    list,
    h('div', { class: 'add-row' }, addType, addButton));

  frameworkSelect.addEventListener('change', () => actions.setFramework(frameworkSelect.value));
  inputField.addEventListener('input', () => {
    const parsed = parseShape(inputField.value);
    showFieldError(inputField, parsed.error);
    if (!parsed.error) actions.commit((n) => { n.input = parsed.value; }, { typing: 'input' });
  });
  inputField.addEventListener('blur', () => actions.endTyping());
  addButton.addEventListener('click', () => {
    const type = addType.value;
    actions.commit((n) => { n.layers.push(withInputs(newLayer(type), n.layers.length)); },
      { rebuild: true, focus: { index: network.layers.length, control: 'type' } });
  });

  attachDrag(list, (from, to) => move(from, to, 'handle'));

  function fw() { return network.framework; }
  function layout() { return frameworks.get(fw())?.layout || 'NCHW'; }
  function fieldsOf(type) {
    return (types.get(type)?.fields || []).filter((f) => f.field !== 'name' && f.names && f.names[fw()] !== undefined);
  }

  const minInputs = (type) => types.get(type)?.inputs?.min || 1;
  const nameOf = (i) => (i < 0 ? 'input' : network.layers[i]?.name || reportNames[i] || String(i));
  const isGraphNetwork = () => network.layers.some((l) => Array.isArray(l.inputs) || minInputs(l.type) > 1);

  /** A layer that needs several inputs and has none reads the layers just above it (UI convenience). */
  function withInputs(layer, at) {
    const need = minInputs(layer.type);
    if (need > 1 && !Array.isArray(layer.inputs)) {
      layer.inputs = Array.from({ length: need }, (_, k) => nameOf(at - need + k)).map((n, k, all) => (all.indexOf(n) === k ? n : 'input'));
    }
    return layer;
  }

  function newLayer(type, keep = {}) {
    const layer = { type };
    if (keep.name) layer.name = keep.name;
    // A type that takes fewer inputs keeps the first ones.
    if (Array.isArray(keep.inputs)) layer.inputs = keep.inputs.slice(0, types.get(type)?.inputs?.max || 1);
    for (const f of types.get(type)?.fields || []) {
      if (keep[f.field] !== undefined && f.names?.[fw()] !== undefined) layer[f.field] = keep[f.field];
      else if (f.required) layer[f.field] = NEW_LAYER_VALUES[type]?.[f.field] ?? FALLBACK_BY_KIND[f.kind] ?? 1;
    }
    return layer;
  }

  function move(from, to, control) {
    if (to < 0 || to >= network.layers.length || to === from) return;
    actions.commit((n) => { const [l] = n.layers.splice(from, 1); n.layers.splice(to, 0, l); },
      { rebuild: true, focus: { index: to, control }, announce: `Moved layer to position ${to + 1}` });
  }

  function layerLabel(layer, i) {
    return layerRef(i, layer.name);
  }
  /** Layer i as a message names it at the time of an action: its engine name when it has none of its own ("0" in PyTorch). */
  const spokenLabel = (i) => layerRef(i, network.layers[i]?.name || reportNames[i]);

  /** `name_copy`, or `name_copy2`, … when that is taken: duplicating twice gives two names. */
  function copyName(name) {
    const taken = new Set([...network.layers.map((l) => l.name), ...reportNames, 'input']);
    const base = `${name}_copy`;
    let k = 1;
    while (taken.has(k === 1 ? base : `${base}${k}`)) k += 1;
    return k === 1 ? base : `${base}${k}`;
  }

  // A <select> with 27 options costs ~40x one with a single option to build:
  // in a big network (an imported ResNet-50 has 122 cards) each card starts
  // with its own type only and gets the list when it is about to be used.
  function typeOptions(layer) {
    const available = schema.types.filter((t) => !t.frameworks || t.frameworks.includes(fw()));
    const options = available.map((t) => h('option', { value: t.type }, t.label || t.type));
    if (!available.some((t) => t.type === layer.type)) {
      options.unshift(h('option', { value: layer.type }, `${layer.type} (not in ${frameworks.get(fw())?.label || fw()})`));
    }
    return options;
  }

  function typeSelect(layer, i) {
    const lazy = network.layers.length > LAZY_TYPE_LISTS_ABOVE;
    const current = lazy ? [h('option', { value: layer.type }, types.get(layer.type)?.label || layer.type)] : typeOptions(layer);
    const select = h('select', { class: 'layer-type', 'aria-label': `Type of ${layerLabel(layer, i)}`, dataset: { control: 'type' } }, current);
    if (lazy) {
      const complete = () => { if (select.options.length === 1) { fill(select, typeOptions(layer)); select.value = layer.type; } };
      for (const event of ['pointerdown', 'focus', 'keydown']) select.addEventListener(event, complete);
    }
    select.value = layer.type;
    select.addEventListener('change', () => {
      actions.commit((n) => { n.layers[i] = withInputs(newLayer(select.value, n.layers[i]), i); },
        { rebuild: true, focus: { index: i, control: 'type' } });
    });
    return select;
  }

  function nameInput(layer, i) {
    const input = h('input', {
      type: 'text', class: 'layer-name-input mono', value: layer.name || '', placeholder: 'name', autocomplete: 'off',
      spellcheck: 'false', 'aria-label': `Name of layer ${i + 1}`, dataset: { control: 'name' },
    });
    // References follow the name as it is typed; while the field is empty they keep the last name.
    let referred = null;
    input.addEventListener('focus', () => { referred = nameOf(i); });
    input.addEventListener('input', () => actions.commit((n) => {
      const from = referred ?? nameOf(i);
      if (input.value) n.layers[i].name = input.value; else delete n.layers[i].name;
      if (!input.value || from === input.value) return;
      for (const other of n.layers.slice(i + 1)) {
        if (Array.isArray(other.inputs)) other.inputs = other.inputs.map((r) => (r === from ? input.value : r));
      }
      referred = input.value;
    }, { typing: `name:${i}` }));
    input.addEventListener('blur', () => actions.endTyping());
    return input;
  }

  // The schema writes '-' for a field the framework has but does not name.
  function labelOf(f) {
    const name = f.names[fw()];
    return name && name !== '-' ? name : f.field;
  }

  // A default may name another field ("kernel": a pool's stride is its
  // kernel); show that in the framework's own words.
  function defaultHint(type, f) {
    const value = f.defaults?.[fw()];
    const other = typeof value === 'string' && (types.get(type)?.fields || []).find((g) => g.field === value && g !== f);
    return other ? `= ${labelOf(other)}` : defaultText(f.kind, value);
  }

  function fieldControl(layer, i, f) {
    const label = labelOf(f);
    const id = `layer-${i}-${f.field}`;
    const errorId = `${id}-error`;
    const fallback = f.defaults?.[fw()];
    const choices = f.choices?.[fw()]?.length ? f.choices[fw()] : undefined;
    if (f.kind === 'bool') {
      const box = h('input', { type: 'checkbox', id, checked: Boolean(layer[f.field] ?? fallback), 'aria-describedby': errorId, dataset: { control: f.field } });
      box.addEventListener('change', () => actions.commit((n) => { n.layers[i][f.field] = box.checked; }, { key: `${f.field}:${i}` }));
      return h('div', { class: 'field field-bool' }, box, h('label', { for: id, class: 'mono' }, label),
        h('span', { class: 'field-error', id: errorId, hidden: true }));
    }
    const listId = choices ? `${id}-choices` : undefined;
    const input = h('input', {
      type: 'text', id, class: 'mono', value: formatField(f.kind, layer[f.field]), autocomplete: 'off', spellcheck: 'false',
      placeholder: defaultHint(layer.type, f), inputmode: f.kind === 'count' ? 'numeric' : undefined,
      list: listId, required: f.required, 'aria-describedby': errorId, dataset: { control: f.field },
    });
    input.addEventListener('input', () => {
      const parsed = parseField(f.kind, input.value, choices);
      showFieldError(input, parsed.error);
      if (parsed.error) return;
      actions.commit((n) => {
        if (parsed.value === undefined) delete n.layers[i][f.field]; else n.layers[i][f.field] = parsed.value;
      }, { typing: `${f.field}:${i}` });
    });
    input.addEventListener('blur', () => actions.endTyping());
    return h('div', { class: 'field' },
      h('label', { for: id, class: 'mono' }, label, f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null),
      input,
      choices ? h('datalist', { id: listId }, choices.map((c) => h('option', { value: c }))) : null,
      h('span', { class: 'field-error', id: errorId, hidden: true }));
  }

  function inputsControl(layer, i) {
    const id = `layer-${i}-inputs`;
    const errorId = `${id}-error`;
    const input = h('input', {
      type: 'text', id, class: 'mono', value: (layer.inputs || []).join(', '), autocomplete: 'off', spellcheck: 'false',
      placeholder: nameOf(i - 1), 'aria-describedby': `inputs-hint ${errorId}`, dataset: { control: 'inputs' },
    });
    input.addEventListener('input', () => {
      const names = input.value.split(',').map((t) => t.trim()).filter(Boolean);
      actions.commit((n) => {
        if (names.length) n.layers[i].inputs = names; else delete n.layers[i].inputs;
      }, { typing: `inputs:${i}` });
    });
    input.addEventListener('blur', () => actions.endTyping());
    return h('div', { class: 'field field-inputs' },
      h('label', { for: id, class: 'mono' }, 'inputs'), input,
      h('span', { class: 'field-error', id: errorId, hidden: true }));
  }

  function iconButton(control, glyph, label, onclick, disabled) {
    return h('button', { type: 'button', class: 'icon-btn', 'aria-label': label, title: label, disabled, dataset: { control }, onclick }, glyph);
  }

  function layerCard(layer, i, count) {
    const label = layerLabel(layer, i);
    const handle = h('button', {
      type: 'button', class: 'handle', dataset: { control: 'handle' },
      'aria-label': `Reorder ${label}: drag, or press the up and down arrow keys`,
      title: 'Drag to reorder (or focus and use ↑ ↓)',
    }, icon('grip'));
    handle.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
        e.preventDefault();
        move(i, i + (e.key === 'ArrowUp' ? -1 : 1), 'handle');
      }
    });
    const fields = fieldsOf(layer.type).map((f) => fieldControl(layer, i, f));
    if (graphMode) fields.unshift(inputsControl(layer, i));
    return h('li', { class: 'layer-card', dataset: { index: i } },
      h('div', { class: 'layer-head' },
        handle,
        h('span', { class: 'layer-index mono', 'aria-hidden': 'true' }, String(i + 1)),
        typeSelect(layer, i),
        nameInput(layer, i)),
      fields.length ? h('div', { class: 'layer-fields' }, fields) : null,
      h('div', { class: 'layer-foot' },
        h('span', { class: 'layer-out mono', dataset: { role: 'out' } }),
        h('span', { class: 'layer-actions' },
        iconButton('up', icon('up'), `Move ${label} up`, () => move(i, i - 1, 'up'), i === 0),
        iconButton('down', icon('down'), `Move ${label} down`, () => move(i, i + 1, 'down'), i === count - 1),
        iconButton('dup', icon('copy'), `Duplicate ${label}`, () => actions.commit((n) => {
          const copy = structuredClone(n.layers[i]);
          if (copy.name) copy.name = copyName(copy.name);
          delete copy.source; // a copy made by hand is not in the pasted code
          n.layers.splice(i + 1, 0, copy);
        }, { rebuild: true, focus: { index: i + 1, control: 'dup' }, announce: `Duplicated ${spokenLabel(i)}` })),
        iconButton('connect', icon('link'), `Add a shortcut or skip to ${label}…`,
          (e) => graphDialog((g) => g.openShortcutDialog(i, dialogContext(e.currentTarget, spokenLabel(i))))),
        iconButton('remove', icon('remove'), `Remove ${label}`, (e) => remove(i, spokenLabel(i), count, e.currentTarget)))));
  }

  /** Remove layer i; when later layers read it by name, a dialog says what would break and offers rewiring. */
  function remove(i, label, count, button) {
    const name = nameOf(i);
    if (network.layers.some((l, k) => k > i && l.inputs?.includes(name))) {
      graphDialog((g) => g.openRemoveDialog(i, dialogContext(button, label)));
      return;
    }
    actions.commit((n) => { n.layers.splice(i, 1); },
      { rebuild: true, focus: { index: Math.min(i, count - 2), control: 'remove' }, announce: `Removed ${label}` });
  }

  // The shortcut and removal dialogs load on first use (graph-edit.js).
  function graphDialog(use) {
    import('./graph-edit.js').then(use).catch((err) => actions.announce?.(`The dialog could not be loaded: ${err?.message || err}`));
  }
  function dialogContext(button, label) {
    return { network, names: reportNames, report: lastReport, check: actions.check, commit: actions.commit, returnFocus: button, label };
  }

  function showFieldError(input, message) {
    const errorEl = document.getElementById(input.getAttribute('aria-describedby')?.split(' ').pop() || '');
    if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    if (errorEl) { errorEl.textContent = message || ''; errorEl.hidden = !message; }
  }

  function clearEngineErrors() {
    for (const el of root.querySelectorAll('[data-engine-error]')) {
      el.removeAttribute('data-engine-error');
      showFieldError(el, '');
    }
    generalError.hidden = true;
    frameworkSelect.removeAttribute('aria-invalid');
  }

  function focusControl(focus) {
    if (!focus) return;
    if (focus.index < 0 || network.layers.length === 0) { addButton.focus(); return; }
    const card = list.children[Math.min(focus.index, list.children.length - 1)];
    let el = card?.querySelector(`[data-control="${focus.control}"]`);
    if (!el || el.disabled) el = card?.querySelector('[data-control="handle"]');
    el?.focus();
  }

  return {
    /** Rebuild everything from a network (structural change or new state). */
    render(next, { focus } = {}) {
      network = next;
      // A dialog about the old network (Back, a preset, a link) would act on layers that moved.
      document.getElementById('graph-dialog')?.close();
      frameworkSelect.value = network.framework;
      inputField.value = formatShape(network.input);
      showFieldError(inputField, '');
      inputLayout.textContent = Array.isArray(network.input) ? layoutLabel(layout(), network.input.length) : '';
      // The picker keeps the type last chosen (a run of pools is one choice, not one per add).
      const chosen = addType.value;
      fill(addType, schema.types.filter((t) => !t.frameworks || t.frameworks.includes(fw()))
        .map((t) => h('option', { value: t.type }, t.label || t.type)));
      if (chosen && [...addType.options].some((o) => o.value === chosen)) addType.value = chosen;
      else if (types.has('conv')) addType.value = 'conv';
      graphMode = isGraphNetwork();
      fill(list, network.layers.map((l, i) => layerCard(l, i, network.layers.length)));
      graphHint.hidden = !graphMode;
      clearEngineErrors();
      focusControl(focus);
    },
    /** Field edits keep the DOM but must keep the editor's copy current. */
    setNetwork(next) {
      network = next;
      inputLayout.textContent = Array.isArray(network.input) ? layoutLabel(layout(), network.input.length) : '';
    },
    /** Mark the control an engine message's JSON path points at, e.g. "layers[3].kernel: ...". */
    showEngineError(message) {
      clearEngineErrors();
      const m = /^(?:network\.)?(layers\[(\d+)\](?:\.(\w+))?|input|framework)\b/.exec(message || '');
      let target = null;
      if (m && m[1] === 'input') target = inputField;
      else if (m && m[1] === 'framework') target = frameworkSelect;
      else if (m && m[2] !== undefined) {
        const card = list.children[Number(m[2])];
        target = card?.querySelector(`[data-control="${m[3] || 'type'}"]`) || card?.querySelector('[data-control="type"]');
      }
      if (target && target.getAttribute('aria-describedby')) {
        target.setAttribute('data-engine-error', '');
        showFieldError(target, message);
      } else {
        if (target) target.setAttribute('aria-invalid', 'true');
        generalError.textContent = message;
        generalError.hidden = false;
      }
    },
    clearEngineErrors,
    /** Per-card status and output shape from the latest report. */
    showReport(report) {
      const rows = report?.layers || [];
      lastReport = report;
      reportNames = rows.map((r) => r.name);
      [...list.children].forEach((card, i) => {
        const row = rows[i];
        card.classList.remove('is-error', 'is-warning', 'is-skipped');
        if (row && row.status !== 'ok') card.classList.add(`is-${row.status}`);
        // The engine names unnamed layers the framework's way (conv2d_3, ...): show that as the hint.
        const name = card.querySelector('[data-control="name"]');
        if (name && row?.name) name.placeholder = row.name;
        const inputs = card.querySelector('[data-control="inputs"]');
        if (inputs) inputs.placeholder = i ? rows[i - 1]?.name || '' : 'input';
        const out = card.querySelector('[data-role="out"]');
        if (out) out.textContent = row ? `→ ${row.output ? shapeText(row.output) : row.status === 'error' ? 'no output' : '—'}` : '';
      });
    },
  };
}
