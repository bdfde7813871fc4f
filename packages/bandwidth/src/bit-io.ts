const TWO_POW_32 = 4294967296;

/**
 * Writes bit fields most-significant bit first into a growable buffer. One
 * writer is reused for many messages (`reset`), so encoding allocates only when
 * the buffer must grow. A counting writer (`countOnly`) writes nothing and only
 * adds up the bits: the size of an encoding without its bytes.
 */
export class BitWriter {
  private buffer: Uint8Array;
  private bitLength = 0;
  private readonly floatView = new DataView(new ArrayBuffer(8));

  /**
   * @param initialBytes initial buffer size (grows as needed)
   * @param countOnly when true, writes only count bits (`bits`, `byteLength`); `finish()` returns an empty view
   */
  constructor(
    initialBytes = 1024,
    readonly countOnly = false,
  ) {
    this.buffer = new Uint8Array(countOnly ? 0 : Math.max(16, initialBytes));
  }

  /** Forgets everything written so far (keeps the buffer). */
  reset(): void {
    this.bitLength = 0;
  }

  /** Bits written since the last reset. */
  get bits(): number {
    return this.bitLength;
  }

  /** Whole bytes the bits written so far take (the length `finish()` returns). */
  get byteLength(): number {
    return Math.ceil(this.bitLength / 8);
  }

  /** Writes the low `bits` bits (0–53) of a non-negative integer. */
  writeUint(value: number, bits: number): void {
    if (this.countOnly) {
      this.bitLength += bits;
      return;
    }
    if (bits > 32) {
      const high = Math.floor(value / TWO_POW_32);
      this.writeSmall(high >>> 0, bits - 32);
      this.writeSmall(value - high * TWO_POW_32, 32);
      return;
    }
    this.writeSmall(value, bits);
  }

  /** Writes one bit. */
  writeBit(value: boolean): void {
    if (this.countOnly) {
      this.bitLength += 1;
      return;
    }
    this.writeSmall(value ? 1 : 0, 1);
  }

  /** Writes an IEEE-754 single-precision float. */
  writeFloat32(value: number): void {
    if (this.countOnly) {
      this.bitLength += 32;
      return;
    }
    this.floatView.setFloat32(0, value);
    this.writeSmall(this.floatView.getUint32(0), 32);
  }

  /** Writes an IEEE-754 double-precision float. */
  writeFloat64(value: number): void {
    if (this.countOnly) {
      this.bitLength += 64;
      return;
    }
    this.floatView.setFloat64(0, value);
    this.writeSmall(this.floatView.getUint32(0), 32);
    this.writeSmall(this.floatView.getUint32(4), 32);
  }

  /** Writes whole bytes (not necessarily byte-aligned). */
  writeBytes(bytes: Uint8Array): void {
    if (this.countOnly) {
      this.bitLength += 8 * bytes.length;
      return;
    }
    for (let index = 0; index < bytes.length; index++) this.writeSmall(bytes[index]!, 8);
  }

  /** Pads to a byte boundary and returns a view of the written bytes (valid until the next write/reset). */
  finish(): Uint8Array {
    const byteLength = Math.ceil(this.bitLength / 8);
    this.bitLength = byteLength * 8;
    return this.buffer.subarray(0, byteLength);
  }

  private writeSmall(value: number, bits: number): void {
    if (bits === 0) return;
    this.ensure(this.bitLength + bits);
    let remaining = bits;
    const v = value >>> 0;
    while (remaining > 0) {
      const byteIndex = this.bitLength >>> 3;
      const used = this.bitLength & 7;
      const free = 8 - used;
      const take = remaining < free ? remaining : free;
      const chunk = (v >>> (remaining - take)) & ((1 << take) - 1);
      if (used === 0) this.buffer[byteIndex] = chunk << (free - take);
      else this.buffer[byteIndex] = this.buffer[byteIndex]! | (chunk << (free - take));
      this.bitLength += take;
      remaining -= take;
    }
  }

  private ensure(bits: number): void {
    const needed = Math.ceil(bits / 8);
    if (needed <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, Math.ceil(this.bitLength / 8)));
    this.buffer = grown;
  }
}

/** Reads bit fields most-significant bit first (the mirror of {@link BitWriter}). */
export class BitReader {
  private bitOffset = 0;
  private readonly floatView = new DataView(new ArrayBuffer(8));

  constructor(private readonly bytes: Uint8Array) {}

  /** Bits consumed so far. */
  get offset(): number {
    return this.bitOffset;
  }

  /** Reads an unsigned integer of `bits` bits (0–53). Throws `RangeError` past the end. */
  readUint(bits: number): number {
    if (bits > 32) {
      const high = this.readSmall(bits - 32);
      return high * TWO_POW_32 + this.readSmall(32);
    }
    return this.readSmall(bits);
  }

  /** Reads one bit. */
  readBit(): boolean {
    return this.readSmall(1) === 1;
  }

  /** Reads an IEEE-754 single-precision float. */
  readFloat32(): number {
    this.floatView.setUint32(0, this.readSmall(32));
    return this.floatView.getFloat32(0);
  }

  /** Reads an IEEE-754 double-precision float. */
  readFloat64(): number {
    this.floatView.setUint32(0, this.readSmall(32));
    this.floatView.setUint32(4, this.readSmall(32));
    return this.floatView.getFloat64(0);
  }

  /** Reads `length` whole bytes (a copy). */
  readBytes(length: number): Uint8Array {
    const result = new Uint8Array(length);
    for (let index = 0; index < length; index++) result[index] = this.readSmall(8);
    return result;
  }

  private readSmall(bits: number): number {
    if (bits === 0) return 0;
    if (this.bitOffset + bits > this.bytes.length * 8) throw new RangeError("read past the end of the buffer");
    let result = 0;
    let remaining = bits;
    while (remaining > 0) {
      const byteIndex = this.bitOffset >>> 3;
      const used = this.bitOffset & 7;
      const free = 8 - used;
      const take = remaining < free ? remaining : free;
      const chunk = (this.bytes[byteIndex]! >>> (free - take)) & ((1 << take) - 1);
      result = result * (1 << take) + chunk;
      this.bitOffset += take;
      remaining -= take;
    }
    return result;
  }
}
