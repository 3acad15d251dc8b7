// The shape table: one row per layer of the engine's report. A failing or
// warning row gets a detail row right under it with the diagnosis, the
// formula, the framework's own error text and the verified fixes. A graph
// gets an inputs column; a merge row lists every arriving shape, and a
// failing merge the report's branch trace (where the paths part and what
// each does to the size).
import { h, fill } from './dom.js';
import { axisLetters, layoutLabel, shapeText, countText, compactCount, receptiveFieldText, isGraph } from './format.js';

const STATUS = {
  ok: { icon: '✓', text: 'valid' },
  warning: { icon: '!', text: 'warning' },
  error: { icon: '✕', text: 'error' },
  skipped: { icon: '–', text: 'skipped' },
};

const FIXES_SHOWN = 3;

function countCell(n) {
  if (typeof n !== 'number') return h('td', { class: 'num mono muted' }, '—');
  const compact = compactCount(n);
  const exact = countText(n);
  // Show the compact form, but let screen readers and hover get the exact one.
  return compact === exact
    ? h('td', { class: 'num mono' }, exact)
    : h('td', { class: 'num mono', title: exact }, h('span', { 'aria-hidden': 'true' }, compact), h('span', { class: 'sr-only' }, exact));
}

function rfCell(rf) {
  const text = receptiveFieldText(rf);
  if (!text) return h('td', { class: 'mono muted' }, '—');
  return h('td', { class: 'mono' }, text.size, h('span', { class: 'rf-detail' }, text.detail));
}

/**
 * A fix is verified by re-running the analysis on the network in the editor.
 * When that network is the importer's reading of the user's model
 * (report.guessed), a verified fix is verified for the reading only, and the
 * badge says so instead of promising the user's code works.
 */
function fixButton(fix, onFix, guessed) {
  const all = guessed ? 'fixes every layer of this reading' : 'fixes every layer';
  return h('li', null,
    h('button', { type: 'button', class: 'btn fix', onclick: () => onFix(fix) },
      h('span', { class: 'fix-verb' }, 'Apply'),
      h('code', null, fix.summary),
      fix.output ? h('span', { class: 'mono fix-out' }, `→ ${shapeText(fix.output)}`) : null),
    fix.resolves_all ? h('span', { class: `badge ${guessed ? 'guessed' : 'ok'}` }, all) : h('span', { class: 'badge' }, 'fixes this layer'));
}

/** The fixes of one layer: best first, the rest folded away to keep the row calm. */
function fixesBlock(fixes, onFix, guessed) {
  const shown = fixes.slice(0, FIXES_SHOWN);
  const more = fixes.slice(FIXES_SHOWN);
  const button = (f) => fixButton(f, onFix, guessed);
  const label = guessed ? 'Verified for this reading' : 'Verified fix';
  return h('div', { class: 'fixes' },
    h('span', { class: 'kv-key' }, fixes.length === 1 ? label : `${guessed ? label : 'Verified fixes'} (${fixes.length})`),
    guessed ? h('p', { class: 'fix-reading' }, `ConvScope guessed the structure: ${guessed}. Each fix is checked against that reading, not against your code.`) : null,
    h('ul', { class: 'fix-list' }, shown.map(button)),
    more.length ? h('details', { class: 'more-fixes' },
      h('summary', null, `${more.length} more fix${more.length > 1 ? 'es' : ''}`),
      h('ul', { class: 'fix-list' }, more.map(button))) : null);
}

/** Which error of the report this is, when there are several (the first is the verdict's). */
function errorRank(layer, errors) {
  const at = errors.indexOf(layer.index);
  if (layer.status !== 'error' || errors.length < 2 || at < 0) return null;
  return h('p', { class: 'error-rank' }, at === 0
    ? `Error 1 of ${errors.length}: the first in order.`
    : `Error ${at + 1} of ${errors.length}: this layer does not depend on the earlier failure${at > 1 ? 's' : ''}, so it fails on its own.`);
}

/**
 * "line 42" (or, in a diagnosis, "line 42: x = torch.cat(…)") for a layer
 * read from pasted code: a button that shows the line in the code panel
 * when the page has the code (onLine), plain text when it does not.
 */
function sourceLink(source, onLine, withCode) {
  const text = `line ${source.line}${withCode ? `: ${source.code}` : ''}`;
  return onLine
    ? h('button', { type: 'button', class: 'link-btn line-link mono', onclick: () => onLine(source.line) }, text)
    : h('span', { class: 'line-link mono' }, text);
}

function kv(key, value) {
  return h('div', { class: 'kv' }, h('span', { class: 'kv-key' }, key), value);
}

/** Every input of a multi-input layer with the shape it brings (null: that input has none). */
function arrivingList(layer) {
  const arriving = layer.arriving || [];
  return h('ul', { class: 'arriving mono' }, (layer.inputs || []).map((name, k) => h('li', null,
    h('span', { class: 'arr-name' }, name), ' ', h('span', { class: 'arr-shape' }, arriving[k] ? shapeText(arriving[k]) : 'no shape'))));
}

function detailRow(layer, columns, frameworkLabel, onFix, errors, guessed, onLine) {
  const body = h('div', { class: 'detail-body' });
  const rank = errorRank(layer, errors);
  if (rank) body.append(rank);
  if (layer.message) body.append(h('p', { class: 'diagnosis' }, layer.message));
  if (layer.source) body.append(h('p', { class: 'source-line' }, sourceLink(layer.source, onLine, true)));
  if ((layer.inputs || []).length > 1) body.append(kv('Arriving', arrivingList(layer)));
  if (layer.trace?.text) body.append(kv('Why', h('p', { class: 'trace' }, layer.trace.text)));
  if (layer.formula) body.append(kv('Formula', h('code', { class: 'formula' }, layer.formula)));
  if (layer.framework_error) {
    body.append(kv(`${layer.framework_error_source || frameworkLabel} says`, h('pre', { class: 'fw-error' }, layer.framework_error)));
  }
  const others = layer.framework_error_others || [];
  if (others.length) {
    body.append(h('details', { class: 'others' },
      h('summary', null, `Same failure elsewhere (${others.length})`),
      h('dl', null, others.map((o) => [h('dt', null, o.source), h('dd', null, h('pre', { class: 'fw-error' }, o.text))]))));
  }
  const warnings = layer.warnings || [];
  if (warnings.length) body.append(h('ul', { class: 'warnings' }, warnings.map((w) => h('li', null, w))));
  const fixes = layer.fixes || [];
  if (fixes.length) body.append(fixesBlock(fixes, onFix, guessed));
  return h('tr', { class: `detail is-${layer.status}`, id: `diag-${layer.index}` },
    h('td', { colspan: columns }, body));
}

/**
 * '1×32×32×3' with a line-break chance after each '×', so a narrow screen
 * can fold an input shape instead of cutting the table. (Output shapes never
 * fold: they stay on one line, in view; Chromium breaks at <wbr> even in nowrap.)
 */
function foldable(text) {
  return text.split('×').flatMap((part, k) => (k ? ['×', h('wbr'), part] : [part]));
}

/** One line per input: the names (inputs column) or the arriving shapes (input column). */
function lines(items) {
  return items.map((text) => h('span', { class: 'line' }, text));
}

function inputCell(layer) {
  const arriving = layer.arriving || [];
  if (arriving.length < 2) return h('td', { class: 'mono shape' }, foldable(shapeText(layer.input)));
  return h('td', { class: 'mono shape multi' }, lines(arriving.map((s) => foldable(s ? shapeText(s) : '—'))));
}

function layerRow(layer, typeLabel, graph, onLine) {
  const status = STATUS[layer.status] || STATUS.error;
  return h('tr', { class: `row is-${layer.status}`, dataset: { index: layer.index } },
    h('td', { class: 'st mono' },
      h('span', { class: 'status-icon', 'aria-hidden': 'true' }, status.icon),
      h('span', { class: 'idx' }, String(layer.index + 1)),
      h('span', { class: 'sr-only' }, ` ${status.text}`)),
    h('th', { scope: 'row', class: 'layer' },
      h('span', { class: 'mono layer-name' }, layer.name || `#${layer.index + 1}`),
      h('span', { class: 'layer-type' }, typeLabel(layer.type)),
      layer.source ? sourceLink(layer.source, onLine) : null),
    graph ? h('td', { class: 'mono inputs' }, lines(layer.inputs || [])) : null,
    inputCell(layer),
    h('td', { class: 'mono shape out' }, layer.output ? shapeText(layer.output) : layer.status === 'error' ? '✕ none' : '—'),
    countCell(layer.params),
    countCell(layer.macs),
    rfCell(layer.receptive_field));
}

/** Smallest valid input line above the table. */
export function renderMinInput(root, report, layout, rank) {
  if (!report) { fill(root); return; }
  const spatial = axisLetters(layout, rank).filter((a) => !['N', 'C', 'F'].includes(a)).join('×');
  const parts = [h('span', { class: 'kv-key' }, 'Smallest valid input')];
  if (Array.isArray(report.min_input)) {
    parts.push(h('code', { class: 'min-shape' }, shapeText(report.min_input)), h('span', { class: 'muted' }, ` (${spatial})`));
  } else {
    parts.push(h('span', { class: 'muted' }, 'none'));
  }
  if (report.min_input_note) parts.push(h('span', { class: 'note' }, report.min_input_note));
  // Every valid size, not only the smallest: merges make validity periodic.
  const valid = report.valid_input;
  if (valid?.text) {
    parts.push(h('span', { class: 'valid-sizes', id: 'valid-input' },
      h('span', { class: 'kv-key' }, 'Valid sizes'), ' ', h('span', null, valid.text)));
    if (valid.note) parts.push(h('span', { class: 'note' }, valid.note));
  }
  fill(root, ...parts);
}

/** The network's output; a graph may have several (layers nobody reads), each named. */
function outputsCell(outputs, last) {
  if (!Array.isArray(outputs) || outputs.length < 2) return h('td', { class: 'mono shape out' }, last ? shapeText(last) : '—');
  return h('td', { class: 'mono shape out multi' }, lines(outputs.map((o) => `${o.name} ${o.shape ? shapeText(o.shape) : '—'}`)));
}

/** Rebuild the table from a report. */
export function renderTable(table, report, { layout, rank, frameworkLabel, typeLabel, onFix, onLine }) {
  const graph = isGraph(report);
  const COLUMNS = graph ? 8 : 7;
  const errors = report.errors || [];
  const letters = layoutLabel(layout, rank);
  const head = h('thead', null, h('tr', null,
    h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Status and '), '#'),
    h('th', { scope: 'col' }, 'Layer'),
    graph ? h('th', { scope: 'col' }, 'Inputs') : null,
    h('th', { scope: 'col' }, 'Input ', h('span', { class: 'layout' }, letters)),
    h('th', { scope: 'col', class: 'out' }, 'Output'),
    h('th', { scope: 'col', class: 'num' }, 'Params'),
    h('th', { scope: 'col', class: 'num' }, 'MACs'),
    h('th', { scope: 'col' }, 'Receptive field')));
  const body = h('tbody');
  for (const layer of report.layers || []) {
    body.append(layerRow(layer, typeLabel, graph, onLine));
    if (layer.status === 'error' || layer.status === 'warning') body.append(detailRow(layer, COLUMNS, frameworkLabel, onFix, errors, report.guessed || '', onLine));
  }
  if (!(report.layers || []).length) {
    body.append(h('tr', null, h('td', { colspan: COLUMNS, class: 'muted' }, 'No layers yet — add one in the editor.')));
  }
  const totals = report.totals || {};
  const foot = h('tfoot', null, h('tr', null,
    h('td'),
    h('th', { scope: 'row' }, 'Total'),
    graph ? h('td') : null,
    h('td', { class: 'mono muted' }, shapeText(report.layers?.[0]?.input)),
    outputsCell(report.outputs, totals.output),
    countCell(totals.params),
    countCell(totals.macs),
    h('td')));
  fill(table, h('caption', { class: 'sr-only' }, 'Layer shapes'), head, body, foot);
}
