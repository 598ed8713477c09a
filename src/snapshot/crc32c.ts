// CRC-32C (Castagnoli), slicing-by-8: etcdctl's `snapshot status` hash is a CRC-32C over every bucket entry.
const T: Uint32Array[] = [];
{
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  T.push(t0);
  for (let s = 1; s < 8; s++) {
    const t = new Uint32Array(256);
    const prev = T[s - 1]!;
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    T.push(t);
  }
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = T as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** Streaming CRC-32C: feed update() in order, read value. */
export class Crc32c {
  private crc = 0xffffffff;
  update(b: Uint8Array): this {
    let c = this.crc;
    let i = 0;
    const n8 = b.length - 8;
    for (; i <= n8; i += 8) {
      c ^= b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
      c =
        T7[c & 0xff]! ^
        T6[(c >>> 8) & 0xff]! ^
        T5[(c >>> 16) & 0xff]! ^
        T4[c >>> 24]! ^
        T3[b[i + 4]!]! ^
        T2[b[i + 5]!]! ^
        T1[b[i + 6]!]! ^
        T0[b[i + 7]!]!;
    }
    for (; i < b.length; i++) c = T0[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
    this.crc = c;
    return this;
  }
  get value(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }
}
