// "Bring your own model": a dialog to paste an error message, PyTorch
// print(model), Keras JSON, the JSON contract or a link, or to open an ONNX /
// JSON / text file; plus dropping a file anywhere on the page. The core's
// importers (full-engine.js) do all the reading; this file gathers the input
// and shows the core's message, selecting the line and column it names. On
// any failure nothing is applied: the editor keeps its previous state.
import { h, fill } from './dom.js';
import { importModel, checkSummary, preloadFullEngine } from './full-engine.js';
import { countText } from './format.js';

// The largest input any importer accepts is an ONNX file of 64 MiB
// (import::max_onnx_bytes); the core enforces every cap itself. This check
// only keeps the browser from copying a larger file into the module's
// memory (capped at 512 MiB) just to be told it is too large.
const MAX_FILE_BYTES = 64 * 1024 * 1024;
// A file shown in the text box only when it is text and small enough to edit.
const MAX_EDITABLE_BYTES = 256 * 1024;
// The largest text an importer reads is Keras JSON (import::max_keras_json_bytes);
// a larger paste is refused here before the page copies it around.
const MAX_PASTE_CHARS = 16 * 1024 * 1024;

const FRAMEWORKS = [
  ['', 'Detect automatically'], ['pytorch', 'PyTorch'], ['tensorflow', 'TensorFlow / Keras'], ['onnx', 'ONNX'],
];

const sizeText = (bytes) => (bytes < 1024 ? `${countText(bytes)} bytes`
  : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** Text when the bytes are valid UTF-8 without NUL bytes (an ONNX file has both problems), else null. */
function asText(bytes) {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

const shapeText = (shape) => (Array.isArray(shape)
  ? `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})` : String(shape ?? '—'));
const paramText = (n) => (typeof n === 'number' ? countText(n) : '—');

/** The core names its CLI options in messages; the dialog's fields have labels. */
const fieldNames = (message) => message.replace(/^--input\b/, 'Input shape').replace(/^--framework\b/, 'Framework');

/** A frame for the browser to paint "Importing…" before the synchronous engine call. */
const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/** The cross-check of a pasted model.summary() against the network in the editor. */
function summaryCheck({ check, exitCode }) {
  const rows = Array.isArray(check.rows) ? check.rows : [];
  return h('section', { class: 'summary-check', 'aria-label': 'Cross-check with model.summary()' },
    h('p', { class: `summary-verdict ${exitCode === 0 ? 'is-ok' : 'is-error'}`, role: 'status' },
      h('strong', null, exitCode === 0 ? 'The summary agrees with this network. ' : 'The summary disagrees with this network. '),
      String(check.verdict ?? '')),
    h('div', { class: 'summary-wrap', tabindex: '0', role: 'region', 'aria-label': 'Rows of the summary and of the network' },
      h('table', { class: 'summary-table' },
        h('thead', null, h('tr', null, ['Layer (type)', 'Summary shape', 'ConvScope shape', 'Summary #', 'ConvScope #', 'Verdict']
          .map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows.map((r) => h('tr', { class: r.verdict === 'match' ? 'is-ok' : 'is-error' },
          h('td', { class: 'mono' }, `${r.name ?? ''}${r.class ? ` (${r.class})` : ''}`),
          h('td', { class: 'mono' }, shapeText(r.summary_shape)),
          h('td', { class: 'mono' }, shapeText(r.convscope_shape)),
          h('td', { class: 'num' }, paramText(r.summary_params)),
          h('td', { class: 'num' }, paramText(r.convscope_params)),
          h('td', null, String(r.verdict ?? ''))))))),
    Array.isArray(check.notes) && check.notes.length
      ? h('ul', { class: 'summary-notes' }, check.notes.map((n) => h('li', null, String(n)))) : null);
}

/**
 * onImport(network, notes, source, read) applies an imported network and returns
 * '' or the reason it could not (then the dialog stays open with that reason);
 * `read` says what was read: {format, models, model, code (the pasted text,
 * null for a file of bytes), options ({inputShape, framework})};
 * afterImport() runs once the dialog has closed (e.g. to move the focus).
 * getNetwork() is the network in the editor: a pasted Keras model.summary()
 * is cross-checked against it instead of imported.
 */
export function createImportDialog({ onImport, afterImport, getNetwork }) {
  let file = null; // {name, bytes} of an opened/dropped file that is imported instead of the text
  let busy = false;
  // Bumped whenever the dialog opens or closes: an import still running from
  // an earlier opening (closed with Cancel or Escape) must not apply.
  let generation = 0;

  const text = h('textarea', {
    id: 'import-text', class: 'mono', rows: 10, spellcheck: 'false', autocomplete: 'off',
    placeholder: "e.g. ValueError: Negative dimension size caused by subtracting 5 from 4 for '{{node conv2d_3/Conv2D}} = Conv2D[…]'",
    'aria-describedby': 'import-hint',
  });
  const shape = h('input', {
    id: 'import-shape', class: 'mono', type: 'text', inputmode: 'text', spellcheck: 'false', autocomplete: 'off',
    placeholder: 'e.g. 1x3x224x224', 'aria-describedby': 'import-shape-hint',
  });
  const framework = h('select', { id: 'import-framework' }, FRAMEWORKS.map(([value, label]) => h('option', { value }, label)));
  const picker = h('input', { id: 'import-file', type: 'file', class: 'sr-only', accept: '.onnx,.json,.txt,.log,.py,text/plain,application/json' });
  const fileInfo = h('p', { id: 'import-file-info', class: 'import-file-info', hidden: true });
  const error = h('div', { id: 'import-error', class: 'import-error', role: 'alert' });
  const crossCheck = h('div', { id: 'import-check', class: 'import-check' });
  const run = h('button', { type: 'button', class: 'btn primary', id: 'import-run' }, 'Import');
  const cancel = h('button', { type: 'button', class: 'btn', id: 'import-close' }, 'Cancel');

  const dialog = h('dialog', {
    id: 'import-dialog', class: 'dialog import-dialog', 'aria-labelledby': 'import-heading', dataset: { state: 'idle' },
  },
    h('h2', { id: 'import-heading' }, 'Import a model or an error message'),
    h('p', { id: 'import-hint', class: 'muted' },
      'Paste the error your framework printed (a whole traceback is fine), your PyTorch or Keras model code, PyTorch ',
      h('code', null, 'print(model)'), ', Keras ', h('code', null, 'model.to_json()'),
      ', ConvScope JSON or a ConvScope link; or open or drop an ', h('code', null, '.onnx'),
      ' file. A traceback shows one layer: paste it together with ', h('code', null, 'print(model)'),
      ' and give the input shape for the whole network and its real fix. Paste Keras ', h('code', null, 'model.summary()'),
      ' to cross-check it with the network in the editor. Everything stays on this machine.'),
    h('label', { for: 'import-text', class: 'code-label' }, 'Text to import'),
    text,
    fileInfo,
    h('div', { class: 'import-options' },
      h('div', { class: 'import-field' },
        h('label', { for: 'import-shape' }, 'Input shape'),
        shape,
        h('span', { id: 'import-shape-hint', class: 'import-field-hint' }, 'optional: where the input does not say, or to override it')),
      h('div', { class: 'import-field' },
        h('label', { for: 'import-framework' }, 'Framework'),
        framework),
      h('div', { class: 'import-field import-open' },
        picker,
        h('label', { for: 'import-file', class: 'btn' }, 'Open a file…'))),
    error,
    crossCheck,
    h('div', { class: 'dialog-actions' }, run, cancel));
  document.body.append(dialog);

  function showError(message, { position = true } = {}) {
    fill(error, message ? h('p', null, message) : null);
    if (message) fill(crossCheck);
    const at = /^line (\d+), column (\d+):/.exec(message || '');
    if (at && position) selectPosition(Number(at[1]), Number(at[2]));
  }

  // Put the caret where the core says the input went wrong.
  function selectPosition(line, column) {
    const lines = text.value.split('\n');
    if (line < 1 || line > lines.length) return;
    let offset = 0;
    for (let i = 0; i < line - 1; i += 1) offset += lines[i].length + 1;
    offset += Math.min(Math.max(column - 1, 0), lines[line - 1].length);
    text.focus();
    text.setSelectionRange(offset, Math.min(offset + 1, text.value.length));
  }

  function setFile(next) {
    file = next;
    fileInfo.hidden = !file;
    fill(fileInfo, file ? [
      h('span', null, 'File ', h('strong', { class: 'mono' }, file.name), ` (${sizeText(file.bytes.length)}) will be imported instead of the text. `),
      h('button', { type: 'button', class: 'link-btn', onclick: () => { setFile(null); text.focus(); } }, 'Use the text instead'),
    ] : null);
  }

  function setBusy(on) {
    busy = on;
    run.disabled = on;
    run.textContent = on ? 'Importing…' : 'Import';
    dialog.dataset.state = on ? 'busy' : 'idle';
  }

  async function submit() {
    if (busy) return;
    // Everything the import depends on, read now: the dialog may change while it runs.
    const mine = generation;
    const source = file ? file.name : 'the pasted text';
    const input = file ? file.bytes : text.value;
    const options = { inputShape: shape.value.trim(), framework: framework.value };
    showError('');
    fill(crossCheck);
    if (!file && !input.trim()) {
      showError('Nothing to import: paste a message or a model into the box, or open a file.');
      text.focus();
      return;
    }
    if (!file && input.length > MAX_PASTE_CHARS) {
      showError(`The text is ${sizeText(input.length)} long; an import may be at most ${sizeText(MAX_PASTE_CHARS)}.`);
      return;
    }
    setBusy(true);
    try {
      await nextPaint();
      const result = await importModel(input, options);
      // Not a model: perhaps a model.summary() to check the editor's network against.
      const summary = result.error && typeof input === 'string' ? await checkSummary(getNetwork(), input) : null;
      if (mine !== generation || !dialog.open) return;
      if (summary?.check) {
        fill(crossCheck, summaryCheck(summary));
        return;
      }
      if (summary?.isSummary) {
        // A summary the reader could not read (or a network it cannot check): its own message.
        showError(summary.error.replace(/^network: /, 'Fix the network in the editor first: '), { position: !file });
        return;
      }
      // What the import read, so pasted model code can be shown next to the table (and read again with another model).
      const read = result.error ? null : {
        format: result.format, models: result.models, model: result.model,
        code: typeof input === 'string' ? input : null, options,
      };
      const problem = result.error ? fieldNames(result.error) : onImport(result.network, result.notes, source, read);
      if (problem) {
        showError(problem, { position: typeof input === 'string' });
      } else {
        dialog.close();
        afterImport?.();
      }
    } finally {
      setBusy(false);
    }
  }

  /** Read a File (picked or dropped): small text goes into the box, anything else is imported as bytes. */
  async function loadFile(picked) {
    showError('');
    if (picked.size > MAX_FILE_BYTES) {
      setFile(null);
      showError(`${picked.name}: ${sizeText(picked.size)} is larger than the ${sizeText(MAX_FILE_BYTES)} an import may be.`);
      return false;
    }
    let bytes;
    try {
      bytes = new Uint8Array(await picked.arrayBuffer());
    } catch (err) {
      showError(`${picked.name} could not be read: ${err?.message || err}`);
      return false;
    }
    const decoded = bytes.length <= MAX_EDITABLE_BYTES ? asText(bytes) : null;
    if (decoded !== null) {
      setFile(null);
      text.value = decoded;
    } else {
      setFile({ name: picked.name, bytes });
    }
    return true;
  }

  function open({ text: pasted } = {}) {
    preloadFullEngine();
    if (!dialog.open) {
      generation += 1;
      dialog.showModal();
    }
    showError('');
    if (pasted !== undefined) {
      setFile(null);
      if (pasted.length > MAX_PASTE_CHARS) {
        showError(`The pasted text is ${sizeText(pasted.length)} long; an import may be at most ${sizeText(MAX_PASTE_CHARS)}.`);
        return;
      }
      text.value = pasted;
      run.focus();
      return;
    }
    // Reopened with the last text still in the box: select it all, so a
    // paste replaces it instead of appending to it.
    text.focus();
    text.select();
  }

  run.addEventListener('click', submit);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { generation += 1; });
  text.addEventListener('input', () => {
    if (error.childElementCount) showError('');
    fill(crossCheck);
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });
  picker.addEventListener('change', async () => {
    const picked = picker.files?.[0];
    picker.value = '';
    if (picked && await loadFile(picked)) (file ? run : text).focus();
  });

  return {
    open,
    /** A file dropped on the page: open the dialog with it and import at once. */
    async dropFile(dropped) {
      open();
      if (busy) {
        showError(`An import is still running; drop ${dropped.name} again when it has finished.`);
        return;
      }
      dialog.dataset.state = 'reading'; // not idle until the file is read and imported
      try {
        if (await loadFile(dropped)) await submit();
      } finally {
        if (!busy) dialog.dataset.state = 'idle';
      }
    },
  };
}
