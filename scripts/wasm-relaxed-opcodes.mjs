// Renumbers the pre-standard relaxed-SIMD fused multiply-add in a linked
// module to the standard one, in place:
//   f32x4.fma (0xfd 0xaf 0x01, what Emscripten 3.1.6's clang 14 and
//   binaryen 108 emit for __builtin_wasm_fma_f32x4)
//   -> f32x4.relaxed_madd (0xfd 0x85 0x02, relaxed-SIMD as standardised and
//   shipped in Chromium 114+; Node 20 behind --experimental-wasm-relaxed-simd).
// Both compute a * b + c from the operands (a, b, c), and both encodings are
// three bytes, so nothing moves. The code section is decoded instruction by
// instruction (every immediate skipped by its encoding): a blind byte search
// would also hit the same bytes inside a constant, a memarg or a shuffle mask.
// Anything the decoder does not know stops the build with its offset rather
// than guessing.
//
// Usage: node scripts/wasm-relaxed-opcodes.mjs FILE.wasm
// Prints how many instructions it renumbered; fails when there are none
// (then the build did not fuse anything and the FMA module is pointless).
import { readFileSync, writeFileSync } from 'node:fs';

const PRESTANDARD_FMA = 0xaf;
const STANDARD_MADD = 0x105; // LEB128: 0x85 0x02
// Pre-standard relaxed opcodes the kernels never use and this script does not
// map (f32x4.fms, f64x2.fma, f64x2.fms): unassigned in the standard, so
// leaving them would make the module invalid.
const PRESTANDARD_UNMAPPED = new Set([0xb0, 0xcf, 0xd0]);

export function renumberRelaxedFma(bytes) {
  let pos = 0;
  const fail = (what) => { throw new Error(`wasm-relaxed-opcodes: ${what} at byte ${pos}`); };
  const byte = () => {
    if (pos >= bytes.length) fail('unexpected end of module');
    return bytes[pos++];
  };
  const u32 = () => {
    let result = 0, shift = 0, b;
    do {
      b = byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  };
  const sleb = () => { let b; do b = byte(); while (b & 0x80); }; // value not needed
  const skip = (n) => { pos += n; if (pos > bytes.length) fail('immediate past the end'); };
  const memarg = () => { u32(); u32(); };
  const blockType = () => {
    const b = bytes[pos];
    if (b === 0x40 || b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) pos += 1;
    else sleb(); // a type index (s33)
  };

  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) fail('not a WebAssembly module');
  pos = 8;
  let renumbered = 0;
  while (pos < bytes.length) {
    const id = byte();
    const size = u32();
    const end = pos + size;
    if (id !== 10) { pos = end; continue; }
    const count = u32();
    for (let f = 0; f < count; f += 1) {
      const bodySize = u32();
      const bodyEnd = pos + bodySize;
      const groups = u32();
      for (let g = 0; g < groups; g += 1) { u32(); byte(); }
      while (pos < bodyEnd) {
        const op = byte();
        if (op === 0x02 || op === 0x03 || op === 0x04) blockType();
        else if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || (op >= 0x20 && op <= 0x26) || op === 0xd2) u32();
        else if (op === 0x0e) { const n = u32(); for (let i = 0; i <= n; i += 1) u32(); }
        else if (op === 0x11 || op === 0x13) { u32(); u32(); }
        else if (op === 0x1c) { const n = u32(); skip(n); }
        else if (op >= 0x28 && op <= 0x3e) memarg();
        else if (op === 0x3f || op === 0x40 || op === 0xd0) skip(1);
        else if (op === 0x41 || op === 0x42) sleb();
        else if (op === 0x43) skip(4);
        else if (op === 0x44) skip(8);
        else if (op === 0xfc) {
          const sub = u32();
          if (sub <= 7) { /* saturating truncations */ }
          else if (sub === 8) { u32(); skip(1); }
          else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) u32();
          else if (sub === 10) skip(2);
          else if (sub === 11) skip(1);
          else if (sub === 12 || sub === 14) { u32(); u32(); }
          else fail(`unknown 0xfc instruction ${sub}`);
        } else if (op === 0xfd) {
          const at = pos;
          const sub = u32();
          if (sub <= 11 || sub === 92 || sub === 93) memarg();
          else if (sub === 12 || sub === 13) skip(16);
          else if (sub >= 21 && sub <= 34) skip(1);
          else if (sub >= 84 && sub <= 91) { memarg(); skip(1); }
          else if (sub === PRESTANDARD_FMA) {
            if (pos - at !== 2) fail('f32x4.fma with a non-minimal opcode encoding');
            bytes[at] = STANDARD_MADD & 0x7f | 0x80;
            bytes[at + 1] = STANDARD_MADD >> 7;
            renumbered += 1;
          } else if (PRESTANDARD_UNMAPPED.has(sub)) fail(`pre-standard relaxed-SIMD instruction 0x${sub.toString(16)} has no mapping here`);
          // every other SIMD instruction has no immediate
        } else if (op === 0xfe) {
          // threads (the -pthread build): atomic.fence has one reserved
          // byte; notify, wait and every atomic load, store and rmw a memarg.
          const sub = u32();
          if (sub === 0x03) skip(1);
          else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) memarg();
          else fail(`unknown 0xfe instruction ${sub}`);
        } else if ((op >= 0x06 && op <= 0x09) || op === 0x18 || op === 0x19) {
          fail(`instruction 0x${op.toString(16)} (exceptions) is not expected in this module`);
        }
        // every other opcode (control without immediates, numeric) has none
      }
      if (pos !== bodyEnd || bytes[bodyEnd - 1] !== 0x0b) fail(`function body ${f} does not end where its size says`);
    }
    if (pos !== end) fail('code section does not end where its size says');
  }
  return renumbered;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/wasm-relaxed-opcodes.mjs FILE.wasm');
    process.exit(2);
  }
  const bytes = new Uint8Array(readFileSync(file));
  const n = renumberRelaxedFma(bytes);
  if (n === 0) {
    console.error(`wasm-relaxed-opcodes: ${file} has no f32x4.fma: was it compiled with -mrelaxed-simd?`);
    process.exit(1);
  }
  writeFileSync(file, bytes);
  console.log(`wasm-relaxed-opcodes: ${file}: ${n} f32x4.fma renumbered to f32x4.relaxed_madd`);
}
