// What the conformance tests of the example networks share: where the CLI,
// Debian's Python and the examples are, which examples are graphs and which
// chains, and how the graph contract resolves a layer's inputs.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = process.env.CONVSCOPE_CLI || join(root, 'build', 'convscope');
// Debian's interpreter: the first python3 on PATH may not see Debian's torch.
export const python = process.env.CONVSCOPE_PYTHON || '/usr/bin/python3';

export const EXAMPLES = [
  'resnet18', 'unet_padded', 'unet_original', 'inception_block',
  'densenet_block', 'residual_forgot_stride', 'fpn_topdown',
];
export const V1_EXAMPLES = [
  'conv2d_3', 'kernel_larger_than_input', 'strided_kernel', 'dilated_kernel',
  'lenet5', 'vgg_block', 'resnet_stem', 'unet_encoder',
];

export function readExample(id) {
  return JSON.parse(readFileSync(join(root, 'examples', `${id}.json`), 'utf8'));
}

// The graph contract's inputs: omitted = the previous layer (the network input for the first).
export function resolvedInputs(net) {
  return net.layers.map((l, i) => l.inputs ?? [i === 0 ? 'input' : net.layers[i - 1].name]);
}
