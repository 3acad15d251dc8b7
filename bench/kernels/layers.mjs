// The nine benchmark layers (NHWC; "same" padding unless noted).
export const layers = [
  { name: '1 conv 224x224x3->8 3x3', kind: 'conv', h: 224, w: 224, c: 3, filters: 8, k: 3, stride: 1, dilation: 1 },
  { name: '2 conv 224x224x3->16 3x3 s2', kind: 'conv', h: 224, w: 224, c: 3, filters: 16, k: 3, stride: 2, dilation: 1 },
  { name: '3 conv 112x112x8->16 3x3', kind: 'conv', h: 112, w: 112, c: 8, filters: 16, k: 3, stride: 1, dilation: 1 },
  { name: '4 conv 112x112x16->32 3x3', kind: 'conv', h: 112, w: 112, c: 16, filters: 32, k: 3, stride: 1, dilation: 1 },
  { name: '5 conv 112x112x32->32 1x1', kind: 'conv', h: 112, w: 112, c: 32, filters: 32, k: 1, stride: 1, dilation: 1 },
  { name: '6 conv 56x56x16->32 5x5', kind: 'conv', h: 56, w: 56, c: 16, filters: 32, k: 5, stride: 1, dilation: 1 },
  { name: '7 dw 112x112x32 3x3', kind: 'depthwise_conv', h: 112, w: 112, c: 32, filters: 32, k: 3, stride: 1, dilation: 1 },
  { name: '8 dw 56x56x32 7x7', kind: 'depthwise_conv', h: 56, w: 56, c: 32, filters: 32, k: 7, stride: 1, dilation: 1 },
  { name: '9 conv 28x28x64->64 3x3 d2', kind: 'conv', h: 28, w: 28, c: 64, filters: 64, k: 3, stride: 1, dilation: 2 },
];

// TensorFlow SAME: output ceil(in / stride), the odd padding cell at the end.
export function samePads(size, k, stride, dilation) {
  const kEff = dilation * (k - 1) + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + kEff - size);
  return { out, begin: Math.floor(total / 2), end: total - Math.floor(total / 2) };
}

// Multiply-adds count twice: FLOPs = 2 * outputs * kh * kw * (C / groups).
export function flops(l) {
  const out = samePads(l.h, l.k, l.stride, l.dilation).out * samePads(l.w, l.k, l.stride, l.dilation).out;
  const perOutput = l.kind === 'depthwise_conv' ? l.k * l.k : l.k * l.k * l.c;
  return 2 * out * l.filters * perOutput;
}
