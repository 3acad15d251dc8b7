// The network the preview benchmarks refresh (tests/web/preview_budget.mjs,
// bench/preview_trace.mjs): the default preset, a 256x256 RGB image
// through five 3x3 'same' convs 3 -> 8 -> 16 -> 16 -> 32 -> 32, each followed
// by a ReLU; and its multiply-adds per refresh.
const FILTERS = [8, 16, 16, 32, 32];

export const PREVIEW_NETWORK = {
  framework: 'tensorflow',
  input: [1, 256, 256, 3],
  layers: FILTERS.flatMap((filters, i) => [
    { type: 'conv', name: `conv${i + 1}`, filters, kernel: 3, padding: 'same' },
    { type: 'relu', name: `relu${i + 1}` },
  ]),
};

export const PREVIEW_MACS = [3, ...FILTERS].slice(0, FILTERS.length).reduce((sum, cin, i) => sum + 256 * 256 * 9 * cin * FILTERS[i], 0);
