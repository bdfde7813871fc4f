import type { DatagramContext, FieldRecord, MessageRoles } from "@tickscope/core";

/** One message of a datagram decoded again with all its fields (see {@link RetainedFieldDecoder}). */
export interface RedecodedMessage {
  type: string;
  fields: FieldRecord;
  roles: MessageRoles;
}

/**
 * Decodes the datagrams whose messages the re-encoding trace keeps once its
 * sample is final, so the pass itself never needs their fields (it may decode
 * roles only). `decodeFields` must give what the pass's decoder gives for the
 * datagram with every field decoded — the same definition, keys and plugins,
 * byte fields copied — its messages in datagram order; `definition` tells
 * which fields a roles-only decode holds in another form (see
 * `FieldLeafCounter`).
 */
export interface RetainedFieldDecoder {
  decodeFields(payload: Uint8Array, context: DatagramContext): readonly RedecodedMessage[];
}

/**
 * Payload copies of the datagrams behind the trace's retained messages whose
 * fields are not decoded yet (one entry per retained message, index-aligned
 * with the trace's pending entries; messages of one datagram share its copy):
 * the bytes in one growing buffer, the rest in number columns. Dropping
 * entries ({@link compact}, {@link pop}) keeps the others' bytes in order.
 */
export class PendingDatagrams {
  private bytes = new Uint8Array(1 << 16);
  private byteCount = 0;
  /** Start and end of each entry's payload in {@link bytes} (−1: an entry with its fields in the arena). */
  private starts: number[] = [];
  private ends: number[] = [];
  private indices: number[] = [];
  private wireLengths: number[] = [];
  /** Packet index of the last datagram copied (its messages share the copy). */
  private lastPacketIndex = -1;

  /** Entries held. */
  get length(): number {
    return this.starts.length;
  }

  /** Payload bytes held. */
  get byteLength(): number {
    return this.byteCount;
  }

  /** Adds an entry whose fields are in the arena (no payload). */
  pushArena(): void {
    this.starts.push(-1);
    this.ends.push(-1);
    this.indices.push(-1);
    this.wireLengths.push(0);
  }

  /**
   * Adds a message `indexInPacket` of datagram `packetIndex` (payload a view,
   * copied unless the previous entry is of the same datagram).
   */
  push(payload: Uint8Array, packetIndex: number, indexInPacket: number, wireLength: number): void {
    const count = this.starts.length;
    if (count > 0 && packetIndex === this.lastPacketIndex && this.starts[count - 1]! >= 0) {
      this.starts.push(this.starts[count - 1]!);
      this.ends.push(this.ends[count - 1]!);
    } else {
      const start = this.byteCount;
      const end = start + payload.length;
      if (end > this.bytes.length) {
        let size = this.bytes.length * 2;
        while (size < end) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.bytes.subarray(0, this.byteCount));
        this.bytes = grown;
      }
      this.bytes.set(payload, start);
      this.byteCount = end;
      this.starts.push(start);
      this.ends.push(end);
    }
    this.lastPacketIndex = packetIndex;
    this.indices.push(indexInPacket);
    this.wireLengths.push(wireLength);
  }

  /** Whether entry `index` holds a payload (else its fields are in the arena). */
  hasPayload(index: number): boolean {
    return this.starts[index]! >= 0;
  }

  /** The payload of entry `index` (a view: valid until the next change). */
  payload(index: number): Uint8Array {
    return this.bytes.subarray(this.starts[index]!, this.ends[index]!);
  }

  /** Whether entries `a` and `b` share one datagram's copy. */
  sameDatagram(a: number, b: number): boolean {
    return this.starts[a]! >= 0 && this.starts[a] === this.starts[b];
  }

  /** Position of entry `index`'s message in its datagram. */
  indexInPacket(index: number): number {
    return this.indices[index]!;
  }

  /** Wire bytes of entry `index`'s datagram. */
  wireLength(index: number): number {
    return this.wireLengths[index]!;
  }

  /** Drops the last entry (its bytes too when no other entry shares them). */
  pop(): void {
    const count = this.starts.length;
    if (count === 0) return;
    const start = this.starts.pop()!;
    this.ends.pop();
    this.indices.pop();
    this.wireLengths.pop();
    if (start >= 0 && (count < 2 || this.starts[count - 2] !== start)) {
      this.byteCount = start;
      this.lastPacketIndex = -1;
    }
  }

  /** Keeps the entries `keep` accepts, in order, and their bytes (moved to the front). */
  compact(keep: (index: number) => boolean): void {
    let kept = 0;
    let write = 0;
    let previousStart = -1;
    let previousNewStart = -1;
    let previousNewEnd = -1;
    for (let index = 0; index < this.starts.length; index++) {
      if (!keep(index)) continue;
      const start = this.starts[index]!;
      const end = this.ends[index]!;
      if (start < 0) {
        this.starts[kept] = -1;
        this.ends[kept] = -1;
      } else if (start === previousStart) {
        this.starts[kept] = previousNewStart;
        this.ends[kept] = previousNewEnd;
      } else {
        if (write !== start) this.bytes.copyWithin(write, start, end);
        previousStart = start;
        previousNewStart = write;
        previousNewEnd = write + (end - start);
        this.starts[kept] = previousNewStart;
        this.ends[kept] = previousNewEnd;
        write = previousNewEnd;
      }
      this.indices[kept] = this.indices[index]!;
      this.wireLengths[kept] = this.wireLengths[index]!;
      kept += 1;
    }
    this.starts.length = kept;
    this.ends.length = kept;
    this.indices.length = kept;
    this.wireLengths.length = kept;
    this.byteCount = write;
    this.lastPacketIndex = -1;
  }

  /** Drops every entry and frees the buffer. */
  clear(): void {
    this.bytes = new Uint8Array(1 << 16);
    this.byteCount = 0;
    this.starts = [];
    this.ends = [];
    this.indices = [];
    this.wireLengths = [];
    this.lastPacketIndex = -1;
  }
}
