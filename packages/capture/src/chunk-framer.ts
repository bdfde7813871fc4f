/**
 * A record parser driven by {@link ChunkFramer}: it consumes whole records
 * from a buffer and says how many bytes it needs to make progress.
 */
export interface RecordParser {
  /**
   * Parses as many complete records as possible from `bytes[start, end)` and
   * returns the position where it stopped. When it stops before `end`, it must
   * set {@link RecordParser.needed} to the number of bytes (counted from the
   * returned position) it needs to make progress, more than were available.
   * `final` is true when no more input will come: the parser must then consume
   * everything it can (skipping damage) and may stop early only for good.
   */
  parse(bytes: Uint8Array, view: DataView, start: number, end: number, final: boolean): number;
  /** Bytes needed from the stop position of the last `parse` call. */
  readonly needed: number;
}

/**
 * Feeds chunks of a byte stream to a {@link RecordParser} with a small carry
 * buffer: records inside a chunk are parsed in place (views, no copies); only
 * a record that straddles two chunks is assembled in the carry buffer, which
 * grows to about twice the largest such record.
 */
export class ChunkFramer {
  private carry = new Uint8Array(4096);
  private carryView = new DataView(this.carry.buffer);
  private carryStart = 0;
  private carryEnd = 0;

  constructor(private readonly parser: RecordParser) {}

  /** Bytes held back waiting for the rest of a record. */
  get pendingBytes(): number {
    return this.carryEnd - this.carryStart;
  }

  /** Feeds one chunk; records are parsed in place where possible. */
  push(chunk: Uint8Array): void {
    let position = 0;
    while (this.carryEnd > this.carryStart) {
      const pending = this.carryEnd - this.carryStart;
      const take = Math.min(this.parser.needed - pending, chunk.length - position);
      if (take > 0) {
        this.reserve(take);
        this.carry.set(chunk.subarray(position, position + take), this.carryEnd);
        this.carryEnd += take;
        position += take;
      }
      if (this.carryEnd - this.carryStart < this.parser.needed) return;
      this.carryStart = this.parser.parse(this.carry, this.carryView, this.carryStart, this.carryEnd, false);
      if (this.carryStart >= this.carryEnd) this.carryStart = this.carryEnd = 0;
    }
    if (position >= chunk.length) return;
    // Parse a plain Uint8Array view of the chunk (read streams hand out Buffers, whose
    // `subarray` is several times slower than the typed-array one the decoders use).
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const stop = this.parser.parse(bytes, view, position, chunk.length, false);
    if (stop < chunk.length) {
      const rest = chunk.length - stop;
      this.carryStart = this.carryEnd = 0;
      this.reserve(rest);
      this.carry.set(chunk.subarray(stop), 0);
      this.carryEnd = rest;
    }
  }

  /** Signals the end of input: the parser sees what is left (damage is its to count). Returns the bytes it could not use. */
  end(): number {
    if (this.carryEnd <= this.carryStart) return 0;
    const stop = this.parser.parse(this.carry, this.carryView, this.carryStart, this.carryEnd, true);
    const left = this.carryEnd - stop;
    this.carryStart = this.carryEnd = 0;
    return left;
  }

  /** Makes room for `extra` more bytes after carryEnd, compacting or growing (to 2x) as needed. */
  private reserve(extra: number): void {
    if (this.carryEnd + extra <= this.carry.length) return;
    const live = this.carryEnd - this.carryStart;
    if (live + extra <= this.carry.length / 2 || (this.carryStart > 0 && live + extra <= this.carry.length && this.carryStart >= live)) {
      this.carry.copyWithin(0, this.carryStart, this.carryEnd);
    } else {
      let capacity = this.carry.length;
      while (capacity < 2 * (live + extra)) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.carry.subarray(this.carryStart, this.carryEnd));
      this.carry = grown;
      this.carryView = new DataView(grown.buffer);
    }
    this.carryStart = 0;
    this.carryEnd = live;
  }
}
