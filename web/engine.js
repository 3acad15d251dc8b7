// Thin wrapper over the shape-engine module (dist/convscope-shapes.js: the
// same functions as dist/convscope.js without the kernels and importers, so
// the first view stays small; the preview worker loads the full module). The C++ core
// does all parsing, validation and shape arithmetic; this file only turns
// its string results into objects and times the calls for budgets.mjs.
import createConvScope from './convscope-shapes.js';

let mod = null;
let schema = null;

/** Load the module once; resolves to the parsed layer schema. */
export async function loadEngine() {
  if (!mod) {
    mod = await createConvScope();
    schema = JSON.parse(mod.layerSchema());
  }
  return schema;
}

export const getSchema = () => schema;
/** Bytes of WebAssembly memory the engine holds (for the memory test). */
export const heapBytes = () => (mod && mod.HEAP8 ? mod.HEAP8.length : 0);
export const version = () => (mod ? String(mod.version()) : '');

/**
 * One call of either module (this one, or the full one full-engine.js loads):
 * its Result as {exitCode, output, error, extras} strings (and importText's
 * format, models and model). Embind can throw a
 * C++ exception pointer or a JS error; both become a message instead of
 * letting one bad input kill the page.
 */
export function callModule(module, name, ...args) {
  try {
    const result = module[name](...args);
    return {
      exitCode: Number(result.exitCode),
      output: String(result.output ?? ''),
      error: String(result.error ?? ''),
      extras: result.extras === undefined ? '' : String(result.extras),
      // importText (full module): the format read, and the models pasted code defines.
      format: result.format, models: result.models, model: result.model,
    };
  } catch (err) {
    return { exitCode: 2, output: '', error: `engine failure in ${name}: ${err && err.message ? err.message : String(err)}` };
  }
}

const call = (name, ...args) => callModule(mod, name, ...args);

/**
 * Analyse a network object.
 * Returns {exitCode: 0|1, report} or {exitCode: 2, error} (malformed input,
 * the message names the JSON path, e.g. "layers[3].kernel: ...").
 */
let measured = 0;
export function analyze(network) {
  // User Timing entries are unbounded; keep the last few hundred for budgets.mjs.
  if (++measured % 500 === 0) performance.clearMeasures('convscope:analyze');
  const start = performance.now();
  const r = call('analyze', JSON.stringify(network));
  performance.measure('convscope:analyze', { start, end: performance.now() });
  if (r.exitCode === 0 || r.exitCode === 1) {
    try {
      return { exitCode: r.exitCode, report: JSON.parse(r.output) };
    } catch (err) {
      return { exitCode: 2, error: `engine returned an unreadable report: ${err.message}` };
    }
  }
  return { exitCode: 2, error: r.error || 'the engine rejected this network' };
}

/** Hash text (without '#') -> {network, extras: [[key, value], ...]} or {error}. */
export function decodeLink(hash) {
  const r = call('decodeShareLink', hash);
  if (r.exitCode !== 0) return { error: r.error || 'unreadable link' };
  try {
    return { network: JSON.parse(r.output), extras: r.extras ? JSON.parse(r.extras) : [] };
  } catch (err) {
    return { error: `engine returned unreadable link data: ${err.message}` };
  }
}

/** Network object + extras pairs -> {hash} or {error}. */
export function encodeLink(network, extras) {
  const r = call('encodeShareLink', JSON.stringify(network), JSON.stringify(extras || []));
  return r.exitCode === 0 ? { hash: r.output } : { error: r.error || 'this network cannot be written as a link' };
}
