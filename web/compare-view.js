// The "Compare frameworks" view: the network ported to PyTorch,
// TensorFlow/Keras and ONNX and analysed in each, as `convscope compare`
// reports it. The core ports, judges and writes every sentence
// (core/convscope/translate.cpp, compare.cpp); this file only draws the
// report. Loaded on first use with the full module (full-engine.js), so
// the first view pays nothing for it.
import { h, fill } from './dom.js';
import { compareFrameworks } from './full-engine.js';
import { shapeText, nameText, axisLetters } from './format.js';

// The status words of the shape table (table.js), per cell.
const STATUS = {
  ok: { icon: '✓', text: 'valid' },
  warning: { icon: '!', text: 'warning' },
  error: { icon: '✕', text: 'fails' },
  skipped: { icon: '–', text: 'not reached' },
};

/**
 * root: the element the view fills; frameworkInfo(id) -> {label, layout}
 * and typeLabel(type) from the engine's schema; onClose() for its "Hide
 * comparison" button. update(network) compares and redraws (a newer update
 * wins over one still loading); markStale() greys the last drawing while the
 * network in the editor is malformed; reveal(panel) scrolls a panel opened
 * out of sight into view.
 */
export function createCompareView(root, { frameworkInfo, typeLabel, onClose }) {
  // Its own way out, next to the panel's heading: under a long table the
  // toggle above is out of sight.
  root.before(h('button', { type: 'button', class: 'btn btn-small compare-close', id: 'close-compare', onclick: onClose }, 'Hide comparison'));
  let generation = 0;
  let latest = null; // the network the next frame compares, and its generation
  let latestGen = 0;
  let scheduled = false;
  const label = (id) => frameworkInfo(id).label;

  async function compareLatest() {
    scheduled = false;
    const gen = latestGen;
    const network = latest;
    if (gen !== generation) return; // marked stale since: the editor holds a malformed network
    const result = await compareFrameworks(network);
    if (gen !== generation) return; // an edit arrived meanwhile; its update draws
    if (result.error) {
      fill(root, h('p', { class: 'compare-error' }, `The frameworks could not be compared: ${result.error}`));
      delete root.dataset.differences;
    } else {
      fill(root, ...renderComparison(result.comparison, network, { label, frameworkInfo, typeLabel }));
      root.dataset.differences = String(result.comparison.differences);
    }
    root.classList.remove('is-stale');
    root.dataset.state = 'done';
  }

  // Typing edits arrive once per key: compare once per frame at most (three
  // analyses and two ports each time), and only the newest network.
  function update(network) {
    latestGen = ++generation;
    latest = network;
    root.dataset.state = 'running';
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(compareLatest);
    }
  }

  function markStale() {
    generation += 1; // drop any comparison still loading: it is of an older network
    if (root.dataset.differences === undefined) {
      fill(root, h('p', { class: 'muted' }, 'The comparison is drawn once the network in the editor is well formed (the editor marks the field at fault).'));
    }
    root.classList.add('is-stale');
    root.dataset.state = 'stale';
  }

  // Under a long table the panel opens out of sight: bring its top into view (focus stays).
  function reveal(panel) {
    if (panel.getBoundingClientRect().top <= innerHeight * 0.7) return;
    panel.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  }

  return { update, markStale, reveal };
}

function renderComparison(c, network, { label, frameworkInfo, typeLabel }) {
  const rank = Array.isArray(network.input) ? network.input.length : 4;
  return [
    h('p', { class: 'compare-intro' },
      `Written for ${label(c.source)}, input ${shapeText(network.input)} (${axisLetters(frameworkInfo(c.source).layout, rank).join('×')}). `,
      'Each framework below is a port written the way a careful port is, and every shape is in that framework’s own layout.'),
    h('p', { class: `compare-summary ${c.differences ? 'is-differs' : 'is-same'}`, id: 'compare-summary' },
      c.differences === 0
        ? 'The three frameworks agree on every layer.'
        : `The frameworks differ on ${c.differences} layer${c.differences === 1 ? '' : 's'}.`),
    verdicts(c, label),
    table(c, { label, frameworkInfo, typeLabel, rank }),
    portNotes(c),
  ];
}

/** Each framework's verdict; ONNX's says where ONNX Runtime departs from the spec. */
function verdicts(c, label) {
  return h('ul', { class: 'compare-verdicts', 'aria-label': 'Verdicts' },
    c.frameworks.map((f, k) => {
      const runtime = c.rows.map((row) => ({ row, cell: row.cells[k] }))
        .find(({ cell }) => cell?.runtime_runs || cell?.runtime_refuses);
      return h('li', { class: f.ok ? 'is-ok' : 'is-error', dataset: { framework: f.framework } },
        h('span', { class: 'status-icon', 'aria-hidden': 'true' }, f.ok ? '✓' : '✕'),
        h('strong', null, label(f.framework), f.source ? ' (source)' : ''), ': ', f.verdict,
        runtime ? ` (ONNX Runtime ${runtime.cell.runtime_runs ? 'runs' : 'refuses'} ${nameText(runtime.row.name)})` : '');
    }));
}

/** '1×4×5×5' with a line-break chance after each '×' only, so a narrow column never splits a number. */
function foldable(text) {
  return text.split('×').flatMap((part, k) => (k ? ['×', h('wbr'), part] : [part]));
}

function cellContent(cell) {
  const status = STATUS[cell.status] || STATUS.error;
  return [
    h('span', { class: 'compare-shape mono' }, cell.output ? foldable(shapeText(cell.output)) : '—'),
    ' ',
    h('span', { class: 'compare-status' }, h('span', { class: 'status-icon', 'aria-hidden': 'true' }, status.icon), status.text),
    cell.runtime_runs ? h('span', { class: 'compare-runtime' }, 'ONNX Runtime runs it') : null,
    cell.runtime_refuses ? h('span', { class: 'compare-runtime' }, 'ONNX Runtime refuses it') : null,
  ];
}

/** Under a row that differs: the rule in one sentence, then each framework's own words. */
function ruleRow(row, label, columns) {
  const texts = [];
  for (const cell of row.cells) {
    if (cell.error_text) texts.push(h('li', null, h('strong', null, `${label(cell.framework)} says: `), h('span', { class: 'mono' }, cell.error_text)));
    for (const w of cell.warnings || []) texts.push(h('li', null, h('strong', null, `${label(cell.framework)} warns: `), w));
  }
  return h('tr', { class: 'compare-rule-row', dataset: { index: row.index } },
    h('td', { colspan: columns },
      h('div', { class: 'compare-rule-body' },
        h('p', { class: 'compare-rule' }, row.rule),
        texts.length ? h('ul', { class: 'compare-texts' }, texts) : null)));
}

function table(c, { label, frameworkInfo, typeLabel, rank }) {
  const columns = 3 + c.frameworks.length;
  const head = h('thead', null, h('tr', null,
    h('th', { scope: 'col' }, '#'),
    h('th', { scope: 'col' }, 'Layer'),
    c.frameworks.map((f) => h('th', { scope: 'col', dataset: { framework: f.framework } },
      label(f.framework), f.source ? ' (source)' : '',
      h('span', { class: 'layout' }, axisLetters(frameworkInfo(f.framework).layout, rank).join('×')))),
    h('th', { scope: 'col' }, 'Differs')));
  const body = h('tbody');
  for (const row of c.rows) {
    const differs = row.differs.length > 0;
    body.append(h('tr', { class: `row compare-row${differs ? ' is-differs' : ''}`, dataset: { index: row.index } },
      h('td', { class: 'mono' }, String(row.index + 1)),
      h('th', { scope: 'row', class: 'layer' },
        h('span', { class: 'mono layer-name' }, row.name),
        h('span', { class: 'layer-type' }, typeLabel(row.type))),
      row.cells.map((cell) => h('td', { class: `compare-cell is-${cell.status}`, dataset: { framework: cell.framework, status: cell.status } }, cellContent(cell))),
      h('td', { class: 'compare-differs' }, differs ? row.differs.join(', ') : '—')));
    if (differs) body.append(ruleRow(row, label, columns));
  }
  if (!c.rows.length) body.append(h('tr', null, h('td', { colspan: columns, class: 'muted' }, 'No layers to compare.')));
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Shapes in each framework' },
    h('table', { class: 'shape-table compare-table', id: 'compare-table' },
      h('caption', { class: 'sr-only' }, 'Each layer’s output shape and status in each framework'), head, body));
}

/** "How the ports are written": what the port changed or could not say the same way. */
function portNotes(c) {
  const notes = c.rows.flatMap((row) => row.notes.map((text) => ({ name: row.name, text })));
  if (!notes.length) return null;
  return h('section', { class: 'compare-notes', 'aria-labelledby': 'compare-notes-heading' },
    h('h3', { id: 'compare-notes-heading' }, 'How the ports are written'),
    h('ul', null, notes.map((n) => h('li', null, h('span', { class: 'mono' }, nameText(n.name)), ': ', n.text))));
}
