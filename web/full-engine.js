// The importers and code exporters of the full module (dist/convscope.js),
// loaded on first use: the first view needs only the shape engine
// (engine.js), and the full module is three times its size. As in
// engine.js, the C++ core does all the reading and writing; this file only
// turns its results into objects.
import { callModule } from './engine.js';

let modulePromise = null;

function load() {
  if (!modulePromise) {
    modulePromise = import('./convscope.js')
      .then(({ default: createConvScope }) => createConvScope())
      .catch((err) => { modulePromise = null; throw err; });
  }
  return modulePromise;
}

/** Start loading now (e.g. when a dialog opens), so the first import does not wait. */
export function preloadFullEngine() {
  load().catch(() => {});
}

async function call(name, ...args) {
  let mod;
  try {
    mod = await load();
  } catch (err) {
    return { exitCode: 2, output: '', error: `the full engine (importers, exporters, comparison) could not be loaded: ${err?.message || err}` };
  }
  return callModule(mod, name, ...args);
}

function parsed(text, what) {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: `engine returned unreadable ${what}: ${err.message}` };
  }
}

/**
 * Anything the importers read -- an error message, print(model), Keras JSON,
 * the JSON contract, a share link, PyTorch or Keras model code (strings) or
 * an ONNX file (Uint8Array) -- -> {network, notes, format, models, model} or
 * {error} naming the line and column, JSON path or node.
 * inputShape: '' or '1x3x224x224'; framework: '' or pytorch/tensorflow/keras/onnx;
 * model: '' or the class / Keras model to read from pasted code (format
 * 'python_code'; `models` lists every one the code defines, `model` the one read).
 */
export async function importModel(input, { inputShape = '', framework = '', model = '' } = {}) {
  const r = await call('importText', input, inputShape, framework, model);
  if (r.exitCode !== 0) return { error: r.error || 'this input could not be imported' };
  const network = parsed(r.output, 'network JSON');
  if (network.error) return { error: network.error };
  const notes = r.extras ? parsed(r.extras, 'notes') : { value: [] };
  const models = r.models ? parsed(r.models, 'model names') : { value: [] };
  return {
    network: network.value,
    notes: Array.isArray(notes.value) ? notes.value.map(String) : [],
    format: String(r.format ?? ''),
    models: Array.isArray(models.value) ? models.value.map(String) : [],
    model: String(r.model ?? ''),
  };
}

/** Network object -> {text} of `target` ('pytorch' | 'keras' | 'json') or {error}. */
export async function exportModel(network, target) {
  const r = await call('exportCode', JSON.stringify(network), target);
  return r.exitCode === 0 ? { text: r.output } : { error: r.error || `this network cannot be exported as ${target}` };
}

/**
 * Keras model.summary() text vs the network: {check, exitCode} with the
 * core's rows ({name, class, summary_shape, convscope_shape, summary_params,
 * convscope_params, verdict}), verdict and notes; exitCode 0 when all rows
 * match, 1 when some differ. Else {error, isSummary}: isSummary says the text
 * has a summary's header (so the error is about the summary or the network,
 * not "this is something else").
 */
export async function checkSummary(network, text) {
  const r = await call('checkSummary', JSON.stringify(network), text);
  if (r.exitCode === 2) {
    return { error: (r.error || 'this is not a Keras model.summary() table').replace(/^summary: /, ''), isSummary: r.extras === 'summary' };
  }
  const check = parsed(r.output, 'summary check');
  return check.error ? { error: check.error } : { check: check.value, exitCode: r.exitCode };
}

/**
 * The network ported to PyTorch, TensorFlow/Keras and ONNX and analysed in
 * each (`convscope compare`'s JSON): {comparison, exitCode} with exitCode 0
 * when the three agree on every layer, 1 when some row differs; else {error}.
 */
export async function compareFrameworks(network) {
  const r = await call('compareFrameworks', JSON.stringify(network));
  if (r.exitCode !== 0 && r.exitCode !== 1) return { error: r.error || 'this network could not be compared' };
  const comparison = parsed(r.output, 'comparison');
  return comparison.error ? { error: comparison.error } : { comparison: comparison.value, exitCode: r.exitCode };
}
