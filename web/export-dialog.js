// Export the current network as PyTorch or Keras code that runs as printed,
// as the JSON contract, or as the share link; each with Copy and Download.
// The code comes from the core's exporters (full-engine.js), the same bytes
// `convscope export --pytorch|--keras|--json` prints.
import { h, fill } from './dom.js';
import { exportModel, preloadFullEngine } from './full-engine.js';
import { copyText } from './share.js';

const TARGETS = [
  { id: 'pytorch', label: 'PyTorch', file: 'model_pytorch.py', type: 'text/x-python' },
  { id: 'keras', label: 'Keras', file: 'model_keras.py', type: 'text/x-python' },
  { id: 'json', label: 'JSON', file: 'network.json', type: 'application/json' },
  { id: 'link', label: 'Link', file: 'convscope-link.txt', type: 'text/plain' },
];

/** getNetwork(): the network being edited; getLink(): {url, note} of the URL that reproduces the page. */
export function createExportDialog({ getNetwork, getLink }) {
  let target = TARGETS[0];
  let generation = 0; // drops results of a slower, older export
  let downloadUrl = '';

  const tabs = h('div', { class: 'export-targets', role: 'radiogroup', 'aria-label': 'Export as' },
    TARGETS.map((t) => h('label', { class: 'export-target' },
      h('input', { type: 'radio', name: 'export-target', value: t.id, checked: t === target }),
      h('span', null, t.label))));
  const code = h('textarea', { id: 'export-code', class: 'mono', rows: 16, readonly: true, spellcheck: 'false', 'aria-label': 'Exported code' });
  const status = h('p', { id: 'export-status', class: 'status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn primary', id: 'export-copy' }, 'Copy');
  const download = h('a', { class: 'btn', id: 'export-download', href: '#', download: target.file }, 'Download');
  const close = h('button', { type: 'button', class: 'btn', id: 'export-close' }, 'Close');
  const dialog = h('dialog', { id: 'export-dialog', class: 'dialog export-dialog', 'aria-labelledby': 'export-heading' },
    h('h2', { id: 'export-heading' }, 'Export this network'),
    h('p', { class: 'muted' }, 'Code that builds the network and prints its output shape, the JSON ConvScope reads back, or the link to this page.'),
    tabs, code, status,
    h('div', { class: 'dialog-actions' }, copy, download, close));
  document.body.append(dialog);

  function setOutput(text, problem) {
    code.value = text;
    fill(status, problem || '');
    status.classList.toggle('is-error', Boolean(problem));
    copy.disabled = !text;
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = text ? URL.createObjectURL(new Blob([text], { type: target.type })) : '';
    download.href = downloadUrl || '#';
    download.setAttribute('download', target.file);
    download.classList.toggle('is-disabled', !text);
    download.setAttribute('aria-disabled', text ? 'false' : 'true');
  }

  async function render() {
    const mine = ++generation;
    if (target.id === 'link') {
      const link = getLink();
      setOutput(link.url, '');
      fill(status, link.note);
      return;
    }
    setOutput('', `Writing ${target.label}…`);
    const result = await exportModel(getNetwork(), target.id);
    if (mine !== generation) return;
    if (result.error) setOutput('', `This network cannot be exported yet: ${result.error}`);
    else setOutput(result.text, '');
  }

  tabs.addEventListener('change', (e) => {
    target = TARGETS.find((t) => t.id === e.target.value) || TARGETS[0];
    render();
  });
  copy.addEventListener('click', async () => {
    const copied = await copyText(code.value, code);
    fill(status, copied ? `${target.label} copied to the clipboard.` : 'Copy failed: select the text and copy it by hand.');
  });
  download.addEventListener('click', (e) => { if (!downloadUrl) e.preventDefault(); });
  close.addEventListener('click', () => dialog.close());

  return {
    open() {
      preloadFullEngine();
      if (!dialog.open) dialog.showModal();
      tabs.querySelector('input:checked')?.focus();
      render();
    },
  };
}
