// NaCl secretbox open (XSalsa20-Poly1305): node:crypto has no XSalsa20, so it is written out here.
import { timingSafeEqual } from 'node:crypto';

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

const rotl = (v: number, c: number): number => (v << c) | (v >>> (32 - c));
const u32 = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

function rounds(x: Uint32Array): void {
  for (let i = 0; i < 20; i += 2) {
    x[4]! ^= rotl((x[0]! + x[12]!) | 0, 7);
    x[8]! ^= rotl((x[4]! + x[0]!) | 0, 9);
    x[12]! ^= rotl((x[8]! + x[4]!) | 0, 13);
    x[0]! ^= rotl((x[12]! + x[8]!) | 0, 18);
    x[9]! ^= rotl((x[5]! + x[1]!) | 0, 7);
    x[13]! ^= rotl((x[9]! + x[5]!) | 0, 9);
    x[1]! ^= rotl((x[13]! + x[9]!) | 0, 13);
    x[5]! ^= rotl((x[1]! + x[13]!) | 0, 18);
    x[14]! ^= rotl((x[10]! + x[6]!) | 0, 7);
    x[2]! ^= rotl((x[14]! + x[10]!) | 0, 9);
    x[6]! ^= rotl((x[2]! + x[14]!) | 0, 13);
    x[10]! ^= rotl((x[6]! + x[2]!) | 0, 18);
    x[3]! ^= rotl((x[15]! + x[11]!) | 0, 7);
    x[7]! ^= rotl((x[3]! + x[15]!) | 0, 9);
    x[11]! ^= rotl((x[7]! + x[3]!) | 0, 13);
    x[15]! ^= rotl((x[11]! + x[7]!) | 0, 18);
    x[1]! ^= rotl((x[0]! + x[3]!) | 0, 7);
    x[2]! ^= rotl((x[1]! + x[0]!) | 0, 9);
    x[3]! ^= rotl((x[2]! + x[1]!) | 0, 13);
    x[0]! ^= rotl((x[3]! + x[2]!) | 0, 18);
    x[6]! ^= rotl((x[5]! + x[4]!) | 0, 7);
    x[7]! ^= rotl((x[6]! + x[5]!) | 0, 9);
    x[4]! ^= rotl((x[7]! + x[6]!) | 0, 13);
    x[5]! ^= rotl((x[4]! + x[7]!) | 0, 18);
    x[11]! ^= rotl((x[10]! + x[9]!) | 0, 7);
    x[8]! ^= rotl((x[11]! + x[10]!) | 0, 9);
    x[9]! ^= rotl((x[8]! + x[11]!) | 0, 13);
    x[10]! ^= rotl((x[9]! + x[8]!) | 0, 18);
    x[12]! ^= rotl((x[15]! + x[14]!) | 0, 7);
    x[13]! ^= rotl((x[12]! + x[15]!) | 0, 9);
    x[14]! ^= rotl((x[13]! + x[12]!) | 0, 13);
    x[15]! ^= rotl((x[14]! + x[13]!) | 0, 18);
  }
}

/** Salsa20 input block: constants, 32-byte key, 16 bytes of nonce/counter. */
function setup(key: Uint8Array, n16: Uint8Array): Uint32Array {
  const x = new Uint32Array(16);
  x[0] = SIGMA[0]!;
  x[5] = SIGMA[1]!;
  x[10] = SIGMA[2]!;
  x[15] = SIGMA[3]!;
  for (let i = 0; i < 4; i++) {
    x[1 + i] = u32(key, i * 4);
    x[11 + i] = u32(key, 16 + i * 4);
    x[6 + i] = u32(n16, i * 4);
  }
  return x;
}

function hsalsa20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const x = setup(key, nonce16);
  rounds(x);
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => dv.setUint32(i * 4, x[w]!, true));
  return out;
}

/** Salsa20 keystream of `len` bytes for an 8-byte nonce, counter from 0. */
function salsa20Stream(key: Uint8Array, nonce8: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(len / 64) * 64);
  const n16 = new Uint8Array(16);
  n16.set(nonce8);
  const dv = new DataView(out.buffer);
  for (let block = 0; block * 64 < len; block++) {
    new DataView(n16.buffer).setUint32(8, block >>> 0, true);
    new DataView(n16.buffer).setUint32(12, Math.floor(block / 2 ** 32), true);
    const input = setup(key, n16);
    const x = input.slice();
    rounds(x);
    for (let i = 0; i < 16; i++) dv.setUint32(block * 64 + i * 4, (x[i]! + input[i]!) >>> 0, true);
  }
  return out.subarray(0, len);
}

const leBig = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
};

export function poly1305(msg: Uint8Array, key: Uint8Array): Uint8Array {
  const p = (1n << 130n) - 5n;
  const r = leBig(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leBig(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const chunk = msg.subarray(i, Math.min(i + 16, msg.length));
    acc = ((acc + leBig(chunk) + (1n << BigInt(8 * chunk.length))) * r) % p;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++, tag >>= 8n) out[i] = Number(tag & 0xffn);
  return out;
}

/** Opens box = tag(16) || ciphertext; returns undefined when authentication fails. */
export function secretboxOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  if (box.length < 16 || nonce.length !== 24 || key.length !== 32) return undefined;
  const subkey = hsalsa20(key, nonce.subarray(0, 16));
  const stream = salsa20Stream(subkey, nonce.subarray(16, 24), 32 + box.length - 16);
  const tag = poly1305(box.subarray(16), stream.subarray(0, 32));
  if (!timingSafeEqual(Buffer.from(tag), Buffer.from(box.subarray(0, 16)))) return undefined;
  const out = new Uint8Array(box.length - 16);
  for (let i = 0; i < out.length; i++) out[i] = box[16 + i]! ^ stream[32 + i]!;
  return out;
}
