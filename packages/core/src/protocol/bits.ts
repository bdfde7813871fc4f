import { ErrorCode, TickscopeError } from "../errors.js";

const textDecoder = new TextDecoder("utf-8", { fatal: false });
const textEncoder = new TextEncoder();

/**
 * Reads integers of 1–64 bits (MSB-first bit packing, either byte order for whole
 * bytes), varints, floats and byte views from a `Uint8Array`. Positions are in
 * bits. Reading past `end` throws `E_TRUNCATED` naming the current field path.
 */
export class BitReader {
  /** Bytes being read (a view, never copied). */
  buffer: Uint8Array = new Uint8Array(0);
  /** Current position, bits from the start of `buffer`. */
  position = 0;
  /** End of the readable region, in bits. */
  end = 0;
  /** Path of the field being read (for error messages). */
  field = "";
  private readonly scratch = new DataView(new ArrayBuffer(8));
  /** The `Uint8Array` whose backing store `viewBacking`/`viewOffset` describe (`buffer` may be reassigned directly). */
  private viewSource: Uint8Array | undefined = undefined;
  private viewBacking: ArrayBufferLike = new ArrayBuffer(0);
  private viewOffset = 0;

  /** Points the reader at `buffer[start, end)` (bytes). */
  reset(buffer: Uint8Array, startByte = 0, endByte = buffer.length): void {
    this.buffer = buffer;
    this.position = startByte * 8;
    this.end = endByte * 8;
  }

  /** Bits left before `end`. */
  get remainingBits(): number {
    return this.end - this.position;
  }

  /** Throws `E_TRUNCATED` unless `bits` more bits are available. */
  need(bits: number): void {
    if (bits > this.end - this.position || bits < 0) {
      throw new TickscopeError(ErrorCode.truncated, `${this.field}: needs ${bits} bits at bit ${this.position}, only ${this.end - this.position} left`, {
        offset: this.position >>> 3,
        fieldPath: this.field,
      });
    }
  }

  /** Moves to the next byte boundary. */
  align(): void {
    this.position = (this.position + 7) & ~7;
    if (this.position > this.end) this.position = this.end;
  }

  /** Unsigned integer of `bits` ≤ 53 bits, as a number. */
  uint(bits: number, little: boolean): number {
    this.need(bits);
    const buffer = this.buffer;
    let position = this.position;
    if ((position & 7) === 0 && (bits & 7) === 0) {
      let byte = position >>> 3;
      this.position = position + bits;
      if (bits === 8) return buffer[byte];
      if (little) {
        let value = 0;
        let scale = 1;
        for (let index = 0; index < bits; index += 8) {
          value += buffer[byte++] * scale;
          scale *= 256;
        }
        return value;
      }
      if (bits === 16) return (buffer[byte] << 8) | buffer[byte + 1];
      if (bits === 32) return ((buffer[byte] << 24) | (buffer[byte + 1] << 16) | (buffer[byte + 2] << 8) | buffer[byte + 3]) >>> 0;
      let value = 0;
      for (let index = 0; index < bits; index += 8) value = value * 256 + buffer[byte++];
      return value;
    }
    if (little && (bits & 7) === 0) {
      // Little-endian off a byte boundary: whole bytes, least significant first, each MSB first in the bit stream (as BitWriter writes them).
      let value = 0;
      let scale = 1;
      for (let index = 0; index < bits; index += 8) {
        value += this.uint(8, false) * scale;
        scale *= 256;
      }
      return value;
    }
    const bitOffset = position & 7;
    if (bits > 0 && bitOffset + bits <= 32) {
      // Up to four bytes hold the value: load them left-aligned in a 32-bit word, then shift.
      const byte = position >>> 3;
      const last = (position + bits - 1) >>> 3;
      let word = buffer[byte] << 24;
      if (last > byte) {
        word |= buffer[byte + 1] << 16;
        if (last > byte + 1) {
          word |= buffer[byte + 2] << 8;
          if (last > byte + 2) word |= buffer[byte + 3];
        }
      }
      this.position = position + bits;
      return (word << bitOffset) >>> (32 - bits);
    }
    let value = 0;
    let left = bits;
    while (left > 0) {
      const bitOffset = position & 7;
      const available = 8 - bitOffset;
      const take = available < left ? available : left;
      const chunk = (buffer[position >>> 3] >>> (available - take)) & ((1 << take) - 1);
      value = value * (1 << take) + chunk;
      left -= take;
      position += take;
    }
    this.position = position;
    return value;
  }

  /** Signed (two's complement) integer of `bits` ≤ 53 bits. */
  int(bits: number, little: boolean): number {
    const value = this.uint(bits, little);
    const half = 2 ** (bits - 1);
    return value >= half ? value - half * 2 : value;
  }

  /** Unsigned integer of up to 64 bits as a bigint. */
  bigUint(bits: number, little: boolean): bigint {
    if (bits <= 32) return BigInt(this.uint(bits, little));
    if (little) {
      this.need(bits);
      let value = 0n;
      let shift = 0n;
      for (let index = 0; index < bits; index += 8) {
        value |= BigInt(this.uint(8, false)) << shift;
        shift += 8n;
      }
      return value;
    }
    const high = this.uint(bits - 32, false);
    const low = this.uint(32, false);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /** Signed integer of up to 64 bits as a bigint. */
  bigInt(bits: number, little: boolean): bigint {
    return BigInt.asIntN(bits, this.bigUint(bits, little));
  }

  /** LEB128 varint (at most 10 bytes); numbers up to 2^53−1, bigint beyond. */
  varint(zigzag: boolean): number | bigint {
    let value = 0;
    let scale = 1;
    for (let index = 0; index < 10; index++) {
      const byte = this.uint(8, false);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) return this.varintSlow(index + 1, zigzag);
        if (zigzag) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
        return value;
      }
      scale *= 128;
    }
    throw new TickscopeError(ErrorCode.decodeFailed, `${this.field}: varint longer than 10 bytes`, { offset: this.position >>> 3, fieldPath: this.field });
  }

  private varintSlow(byteCount: number, zigzag: boolean): bigint {
    this.position -= byteCount * 8;
    let value = 0n;
    let shift = 0n;
    for (let index = 0; index < byteCount; index++) {
      const byte = this.uint(8, false);
      value |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    }
    value = BigInt.asUintN(64, value);
    if (zigzag) return (value >> 1n) ^ -(value & 1n);
    return value;
  }

  /** IEEE float of 32 or 64 bits. */
  float(bits: 32 | 64, little: boolean): number {
    const scratch = this.scratch;
    if (bits === 32) {
      scratch.setUint32(0, this.uint(32, false));
      const value = scratch.getFloat32(0);
      if (!little) return value;
      scratch.setFloat32(0, value);
      return scratch.getFloat32(0, true);
    }
    const high = this.uint(32, false);
    const low = this.uint(32, false);
    scratch.setUint32(0, high);
    scratch.setUint32(4, low);
    return scratch.getFloat64(0, little);
  }

  /** `length` bytes as a view (no copy) when byte-aligned, else a copy. */
  bytes(length: number): Uint8Array {
    this.need(length * 8);
    if ((this.position & 7) === 0) {
      const buffer = this.buffer;
      const start = this.position >>> 3;
      this.position += length * 8;
      // The constructor makes the view about twice as fast as `subarray`; the backing store and
      // offset are read once per buffer (each getter costs as much as the view itself).
      if (this.viewSource !== buffer) {
        this.viewSource = buffer;
        this.viewBacking = buffer.buffer;
        this.viewOffset = buffer.byteOffset;
      }
      return new Uint8Array(this.viewBacking, this.viewOffset + start, length);
    }
    const result = new Uint8Array(length);
    for (let index = 0; index < length; index++) result[index] = this.uint(8, false);
    return result;
  }

  /** `length` bytes decoded as text. */
  text(length: number, ascii: boolean): string {
    const bytes = this.bytes(length);
    if (ascii) {
      let result = "";
      for (let index = 0; index < bytes.length; index++) result += String.fromCharCode(bytes[index]);
      return result;
    }
    return textDecoder.decode(bytes);
  }
}

/** Writes what {@link BitReader} reads, into a growing buffer. */
export class BitWriter {
  /** Backing storage (grows). */
  buffer: Uint8Array;
  /** Current position in bits. */
  position = 0;
  /** Path of the field being written (for error messages). */
  field = "";
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(initialBytes = 256) {
    this.buffer = new Uint8Array(initialBytes);
  }

  /** Starts over (keeps the storage). */
  reset(): void {
    this.position = 0;
    this.buffer.fill(0);
  }

  /** Bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buffer.slice(0, (this.position + 7) >>> 3);
  }

  private ensure(bits: number): void {
    const needed = (this.position + bits + 7) >>> 3;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer);
    this.buffer = next;
  }

  /** Pads to the next byte boundary with zero bits. */
  align(): void {
    this.ensure(8);
    this.position = (this.position + 7) & ~7;
  }

  /** Unsigned integer ≤ 53 bits (throws `E_ENCODE_FAILED` when it does not fit). */
  uint(value: number, bits: number, little: boolean): void {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
      throw new TickscopeError(ErrorCode.encodeFailed, `${this.field}: ${String(value)} does not fit in ${bits} unsigned bits`, { fieldPath: this.field });
    }
    this.ensure(bits);
    if (little && (bits & 7) === 0) {
      for (let index = 0; index < bits; index += 8) {
        this.rawBits(value % 256, 8);
        value = Math.floor(value / 256);
      }
      return;
    }
    this.rawBits(value, bits);
  }

  /** Writes the low `bits` bits of a non-negative integer value MSB first (no range check). */
  private rawBits(value: number, bits: number): void {
    const buffer = this.buffer;
    let position = this.position;
    if (bits <= 24 && value < 4294967296) {
      // Fast path: the field and its bit offset fit in one 32-bit window (at most 4 bytes).
      const low = bits === 0 ? 0 : (value >>> 0) & ((1 << bits) - 1);
      const total = (position & 7) + bits;
      const bytes = (total + 7) >>> 3;
      const shifted = low << ((bytes << 3) - total);
      const first = position >>> 3;
      for (let index = 0; index < bytes; index++) buffer[first + index] |= (shifted >>> ((bytes - 1 - index) << 3)) & 0xff;
      this.position = position + bits;
      return;
    }
    let left = bits;
    while (left > 0) {
      const bitOffset = position & 7;
      const available = 8 - bitOffset;
      const take = available < left ? available : left;
      const divisor = 2 ** (left - take);
      const chunk = Math.floor(value / divisor) % (1 << take);
      buffer[position >>> 3] |= chunk << (available - take);
      left -= take;
      position += take;
    }
    this.position = position;
  }

  /** Overwrites `bits` bits at bit `position` (for lengths known after the fact), little-endian when `little` (whole bytes). */
  patch(position: number, value: number, bits: number, little = false): void {
    const saved = this.position;
    this.position = position;
    const buffer = this.buffer;
    for (let index = 0; index < bits; index++) {
      const bit = position + index;
      buffer[bit >>> 3] &= ~(1 << (7 - (bit & 7)));
    }
    this.uint(value, bits, little);
    this.position = saved;
  }

  /** Signed integer ≤ 53 bits, two's complement. */
  int(value: number, bits: number, little: boolean): void {
    const half = 2 ** (bits - 1);
    if (!Number.isInteger(value) || value < -half || value >= half) {
      throw new TickscopeError(ErrorCode.encodeFailed, `${this.field}: ${String(value)} does not fit in ${bits} signed bits`, { fieldPath: this.field });
    }
    this.uint(value < 0 ? value + half * 2 : value, bits, little);
  }

  /** Unsigned or signed integer of up to 64 bits from a bigint (or number). */
  big(value: bigint | number, bits: number, signed: boolean, little: boolean): void {
    let big: bigint;
    try {
      big = BigInt(value);
    } catch (cause) {
      throw new TickscopeError(ErrorCode.encodeFailed, `${this.field}: ${String(value)} is not an integer`, { fieldPath: this.field, cause });
    }
    const width = BigInt(bits);
    const low = signed ? -(1n << (width - 1n)) : 0n;
    const high = signed ? (1n << (width - 1n)) - 1n : (1n << width) - 1n;
    if (big < low || big > high) {
      throw new TickscopeError(ErrorCode.encodeFailed, `${this.field}: ${String(value)} does not fit in ${bits} bits`, { fieldPath: this.field });
    }
    const unsigned = BigInt.asUintN(bits, big);
    if (little) {
      for (let index = 0n; index < width; index += 8n) this.uint(Number((unsigned >> index) & 0xffn), 8, false);
      return;
    }
    if (bits <= 32) {
      this.uint(Number(unsigned), bits, false);
      return;
    }
    this.uint(Number(unsigned >> 32n), bits - 32, false);
    this.uint(Number(unsigned & 0xffffffffn), 32, false);
  }

  /** LEB128 varint. */
  varint(value: number | bigint, zigzag: boolean): void {
    let big: bigint;
    try {
      big = BigInt(value);
    } catch (cause) {
      throw new TickscopeError(ErrorCode.encodeFailed, `${this.field}: ${String(value)} is not an integer`, { fieldPath: this.field, cause });
    }
    if (zigzag) big = big >= 0n ? big * 2n : -big * 2n - 1n;
    if (big < 0n || big >= 1n << 64n) {
      throw new TickscopeError(ErrorCode.encodeFailed, `${this.field}: ${String(value)} does not fit in a varint`, { fieldPath: this.field });
    }
    do {
      let byte = Number(big & 0x7fn);
      big >>= 7n;
      if (big !== 0n) byte |= 0x80;
      this.uint(byte, 8, false);
    } while (big !== 0n);
  }

  /** IEEE float. */
  float(value: number, bits: 32 | 64, little: boolean): void {
    if (typeof value !== "number") {
      throw new TickscopeError(ErrorCode.encodeFailed, `${this.field}: ${String(value)} is not a number`, { fieldPath: this.field });
    }
    const scratch = this.scratch;
    if (bits === 32) scratch.setFloat32(0, value, little);
    else scratch.setFloat64(0, value, little);
    for (let index = 0; index < bits / 8; index++) this.uint(scratch.getUint8(index), 8, false);
  }

  /** Raw bytes. */
  bytes(value: Uint8Array): void {
    this.ensure(value.length * 8);
    if ((this.position & 7) === 0) {
      this.buffer.set(value, this.position >>> 3);
      this.position += value.length * 8;
      return;
    }
    for (let index = 0; index < value.length; index++) this.uint(value[index], 8, false);
  }
}

/** Encodes text as UTF-8 or as one byte per char code (`ascii`, latin-1). */
export function encodeText(value: string, ascii: boolean): Uint8Array {
  if (!ascii) return textEncoder.encode(value);
  const result = new Uint8Array(value.length);
  for (let index = 0; index < value.length; index++) result[index] = value.charCodeAt(index) & 0xff;
  return result;
}

/** Parses a hex string into bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const result = new Uint8Array(hex.length >>> 1);
  for (let index = 0; index < result.length; index++) result[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return result;
}

/** Formats bytes as lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let result = "";
  for (let index = 0; index < bytes.length; index++) result += bytes[index].toString(16).padStart(2, "0");
  return result;
}

