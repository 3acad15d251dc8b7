// A one-node ONNX Conv model written straight from the protobuf schema
// (onnx/onnx.proto), so the benchmark needs no model files and no protobuf
// library: a minimal writer of varints, length-delimited fields and packed
// int64s is all a ModelProto needs. IR version 8, opset 13.

const WIRE_VARINT = 0, WIRE_BYTES = 2;
const FLOAT = 1;                       // TensorProto.DataType.FLOAT
const ATTR_INT = 2, ATTR_INTS = 7;     // AttributeProto.AttributeType

function varint(value) {
  const out = [];
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;  // int64 fields: two's complement, 10 bytes
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

const key = (field, wire) => varint((field << 3) | wire);
const concat = (parts) => {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  return bytes;
};
const int = (field, v) => Uint8Array.from([...key(field, WIRE_VARINT), ...varint(v)]);
const bytes = (field, b) => concat([Uint8Array.from([...key(field, WIRE_BYTES), ...varint(b.length)]), b]);
const str = (field, s) => bytes(field, new TextEncoder().encode(s));
const msg = (field, parts) => bytes(field, concat(parts));
const packedInts = (field, values) => bytes(field, Uint8Array.from(values.flatMap(varint)));

// ValueInfoProto {name, type: TypeProto {tensor_type {elem_type, shape {dim {dim_value}}}}}
const valueInfo = (field, name, dims) =>
  msg(field, [str(1, name), msg(2, [msg(1, [int(1, FLOAT), msg(2, dims.map((d) => msg(1, [int(1, d)])))])])]);

// TensorProto {dims, data_type, name, raw_data (little-endian floats)}
const tensor = (field, name, dims, data) =>
  msg(field, [packedInts(1, dims), int(2, FLOAT), str(8, name), bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))]);

const attrInts = (name, values) => msg(5, [str(1, name), int(20, ATTR_INTS), ...values.map((v) => int(8, v))]);
const attrInt = (name, value) => msg(5, [str(1, name), int(20, ATTR_INT), int(3, value)]);

// x NCHW [n, c, h, w]; w OIHW; b [O]; pads [top, left, bottom, right].
export function convModel({ inputDims, outputDims, weightDims, weights, bias, kernel, strides, dilations, pads, group }) {
  const node = msg(1, [
    str(1, 'x'), str(1, 'w'), str(1, 'b'), str(2, 'y'), str(3, 'conv'), str(4, 'Conv'),
    attrInts('kernel_shape', kernel), attrInts('strides', strides), attrInts('dilations', dilations),
    attrInts('pads', pads), attrInt('group', group),
  ]);
  const graph = msg(7, [
    node, str(2, 'layer'),
    tensor(5, 'w', weightDims, weights), tensor(5, 'b', [bias.length], bias),
    valueInfo(11, 'x', inputDims), valueInfo(12, 'y', outputDims),
  ]);
  return concat([int(1, 8), str(2, 'convscope-bench'), graph, msg(8, [str(1, ''), int(2, 13)])]);
}
