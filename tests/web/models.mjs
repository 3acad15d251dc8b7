// Real torchvision models as ONNX files for the page's big-graph test and
// budget: written by tests/fixtures/models/make_models.py (PyTorch 1.13 via
// Debian's /usr/bin/python3) into build/models/, never committed; made once
// and reused. MODELS_DIR points elsewhere.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './server.mjs';

export const MODELS_DIR = path.resolve(process.env.MODELS_DIR || path.join(ROOT, 'build', 'models'));

/** Path of NAME.onnx (e.g. resnet50), generating it when missing; throws with the script's output on failure. */
export function modelFile(name) {
  const file = path.join(MODELS_DIR, `${name}.onnx`);
  if (fs.existsSync(file)) return file;
  const run = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests', 'fixtures', 'models', 'make_models.py'), MODELS_DIR, name],
    { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0 || !fs.existsSync(file)) {
    throw new Error(`make_models.py ${name} failed (exit ${run.status}): ${(run.stderr || run.stdout || '').slice(-2000)}`);
  }
  return file;
}
