// The threaded FMA build's conv ops on one thread and on all of them, side by
// side in one Node process (a benchmark, not a test: it prints figures and
// asserts nothing). The preview network's five layers at 256x256, 'same'
// padding: each op created twice, with {threads: 1} and without, the same
// weights and input; median of 41 runs after 5 warm-up. Then new weights
// (a new seed in the previews): setWeights on each, median of 21 (a split op
// packs once for all its bands). Run after the build:
//   node --experimental-wasm-relaxed-simd bench/threads.mjs
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.DIST_DIR || join(root, 'dist');
const { createConvOp, KERNEL_BUILDS, KERNEL_GLUE } = await import(pathToFileURL(join(dist, 'kernels.js')).href);
const { default: createThreaded } = await import(pathToFileURL(join(dist, KERNEL_GLUE.threads)).href);
const engine = await createThreaded({
  wasmBinary: readFileSync(join(dist, KERNEL_BUILDS.threads)),
  // Its threads' classic script as .cjs (Node reads this package's .js as ES modules; scripts/build.sh).
  locateFile: (path) => join(dist, path.endsWith('.worker.js') ? path.replace(/\.js$/, '.cjs') : path),
});
for (const worker of engine.PThread.unusedWorkers) worker.unref(); // let Node exit after the last figure

const RUNS = 41, WARMUP = 5, H = 256, W = 256;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
let seed = 1;
const random = (n) => Float32Array.from({ length: n }, () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 30 - 1; });

console.log(`Threaded FMA build, ${new Date().toISOString()}, Node ${process.versions.node}, ${cpus().length} cores (${cpus()[0].model})`);
console.log(`engine.parallelParts() = ${engine.parallelParts()}; ${RUNS} runs after ${WARMUP} warm-up, median ms`);
console.log('layer (256x256, 3x3 same)   kernel     1 thread   all threads   bands   speed-up   new weights: 1 thread   split');
for (const [C, F] of [[3, 8], [8, 16], [16, 16], [16, 32], [32, 32]]) {
  const weights = random(9 * C * F).map((v) => v * 0.2);
  const bias = random(F);
  const input = random(H * W * C);
  const options = { kind: 'conv', inputShape: [1, H, W, C], filters: F, kernel: [3, 3], padding: 'same', relu: true, weights, bias };
  const ops = [createConvOp(engine, { ...options, threads: 1 }), createConvOp(engine, options)];
  const times = ops.map(() => []);
  for (const op of ops) op.inputView().set(input);
  for (let i = 0; i < WARMUP + RUNS; i += 1) {
    for (const [k, op] of ops.entries()) { // interleaved, so the machine's load hits both alike
      const t = performance.now();
      op.runInPlace();
      if (i >= WARMUP) times[k].push(performance.now() - t);
    }
  }
  const [one, all] = times.map(median);
  const packs = ops.map(() => []);
  const next = [random(weights.length), random(F)];
  for (let i = 0; i < 21; i += 1) {
    for (const [k, op] of ops.entries()) {
      const t = performance.now();
      op.setWeights(...next);
      packs[k].push(performance.now() - t);
    }
  }
  const [packOne, packSplit] = packs.map(median);
  console.log(`${`${C} -> ${F}`.padEnd(28)}${ops[0].kernel.padEnd(11)}${one.toFixed(2).padStart(8)}${all.toFixed(2).padStart(14)}${String(ops[1].bands).padStart(8)}${(one / all).toFixed(2).padStart(10)}x${packOne.toFixed(3).padStart(24)}${packSplit.toFixed(3).padStart(8)}`);
  for (const op of ops) op.delete();
}
console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
