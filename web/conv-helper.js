// A helper of the preview worker (a module worker it starts, one per extra
// core): runs bands of output rows of a convolution (web/conv-split.js) in
// its own copy of the engine, the same kernel build as the preview worker's.
// Each layer's op (its packed weights) is kept under the layer's index while
// its key stays: the preview worker sends a layer's weights only with the
// first band of a new key (re-packed in place when the band's options stay).
//
// Messages in:  {type: 'init', build}
//               | {type: 'band', id, index, key, options, weights?, bias?, input}
//               | {type: 'keep', indexes}   (ops of other layers are deleted)
// Messages out: {type: 'ready'} (engine loaded) | {type: 'band', id, output} | {type: 'error', id, message}
import createConvScope from './convscope.js';
import { createConvOp, kernelModuleOptions } from './kernels.js';

let modulePromise = null;
const ops = new Map(); // layer index -> {key, op}

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === 'init') {
    modulePromise = createConvScope(kernelModuleOptions(msg.build));
    // The preview worker gives this helper bands only once its engine is in.
    modulePromise.then(() => self.postMessage({ type: 'ready' }),
      (err) => self.postMessage({ type: 'error', id: null, message: `its engine did not load (${err?.message || err})` }));
    return;
  }
  if (msg.type === 'keep') {
    const keep = new Set(msg.indexes);
    for (const [index, held] of ops) if (!keep.has(index)) { held.op.delete(); ops.delete(index); }
    return;
  }
  if (msg.type !== 'band') return;
  try {
    const mod = await modulePromise;
    let held = ops.get(msg.index);
    if (!held || held.key !== msg.key) {
      if (!msg.weights) throw new Error('the first band of a layer came without its weights');
      const shapeKey = JSON.stringify(msg.options);
      if (held && held.shapeKey === shapeKey) {
        // New weights for the same band (a new seed): re-packed in place.
        held.op.setWeights(msg.weights, msg.bias);
        held.key = msg.key;
      } else {
        held?.op.delete();
        ops.delete(msg.index);
        held = { key: msg.key, shapeKey, op: createConvOp(mod, { ...msg.options, weights: msg.weights, bias: msg.bias }) };
        ops.set(msg.index, held);
      }
    }
    const { op } = held;
    op.inputView().set(msg.input);
    op.runInPlace();
    const output = op.outputView().slice();
    self.postMessage({ type: 'band', id: msg.id, output }, [output.buffer]);
  } catch (err) {
    self.postMessage({ type: 'error', id: msg.id, message: String(err?.message || err) });
  }
};
