/** Datagrams a {@link RecentDatagrams} ring remembers unless told otherwise (per session and direction). */
export const DEFAULT_RECENT_DATAGRAMS = 32;

/** Fields of an entry's row: fingerprint, payload length, capture time (µs), IP identification, capture interface. */
const FIELD_FINGERPRINT = 0;
const FIELD_LENGTH = 1;
const FIELD_TIME_US = 2;
const FIELD_IP_IDENTIFICATION = 3;
const FIELD_INTERFACE_ID = 4;
/** Doubles per row (log2): rows of eight, so an entry never straddles two cache lines. */
const ROW_SHIFT = 3;
/** Buckets of the fingerprint filter (by the fingerprint's low byte). */
const FILTER_BUCKETS = 256;

/**
 * A ring's entries as plain data: a column per field in slot order (an empty
 * slot has fingerprint and length -1) and the slot the next datagram replaces.
 */
export interface RecentDatagramsColumns {
  fingerprints: number[];
  lengths: number[];
  timesUs: number[];
  ipIdentifications: number[];
  interfaceIds: number[];
  next: number;
}

/**
 * The last `capacity` distinct payloads of one session direction — fingerprint,
 * length and capture stamp — for telling a repeated datagram (a resend, or a
 * capture duplicate: core's `isCaptureDuplicate`) from a new one. Loss and
 * bandwidth both keep one per direction.
 *
 * One table of doubles (a row per entry) instead of a column per field, so
 * remembering a datagram touches one row. A filter counts the entries by the
 * low byte of their fingerprint: a datagram whose bucket is empty repeats none
 * of them and the ring is not scanned (most datagrams). A datagram whose bucket
 * is not empty scans a column of the fingerprints' low 32 bits (four bytes an
 * entry: 32 entries in two cache lines) rather than the rows, and only a
 * candidate's row is read. Rows, key column and filter share one buffer, and
 * the filter counts in bytes when the capacity is below 256 (a quarter of the
 * cache lines): a ring is touched once per datagram of its direction, long
 * after the last time, so its size in cache lines is what it costs. Lengths
 * and interface ids are kept as 32-bit integers (`| 0`).
 */
export class RecentDatagrams {
  private readonly entries: Float64Array;
  /** Each slot's fingerprint `| 0` (an empty slot: -1). */
  private readonly keys: Int32Array;
  /** Entries per low byte of the fingerprint (bytes while the capacity fits in one). */
  private readonly filter: Uint8Array | Int32Array;
  private nextSlot = 0;

  /** `capacity`: entries remembered (a non-negative integer; 0 remembers nothing). */
  constructor(readonly capacity: number = DEFAULT_RECENT_DATAGRAMS) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`a recent-datagram ring holds a non-negative integer number of entries, got ${capacity}`);
    const rowBytes = (capacity << ROW_SHIFT) * Float64Array.BYTES_PER_ELEMENT;
    const keyBytes = capacity * Int32Array.BYTES_PER_ELEMENT;
    const byteFilter = capacity < 256;
    const buffer = new ArrayBuffer(rowBytes + keyBytes + FILTER_BUCKETS * (byteFilter ? 1 : Int32Array.BYTES_PER_ELEMENT));
    this.entries = new Float64Array(buffer, 0, capacity << ROW_SHIFT);
    this.keys = new Int32Array(buffer, rowBytes, capacity);
    this.filter = byteFilter ? new Uint8Array(buffer, rowBytes + keyBytes, FILTER_BUCKETS) : new Int32Array(buffer, rowBytes + keyBytes, FILTER_BUCKETS);
    for (let index = 0; index < capacity; index++) {
      this.entries[(index << ROW_SHIFT) + FIELD_FINGERPRINT] = -1;
      this.entries[(index << ROW_SHIFT) + FIELD_LENGTH] = -1;
      this.keys[index] = -1;
    }
  }

  /** The slot the next datagram replaces (the oldest entry once the ring is full). */
  get next(): number {
    return this.nextSlot;
  }

  /** The first slot (in slot order) holding this fingerprint and length, or -1. */
  find(fingerprint: number, length: number): number {
    if (this.filter[fingerprint & (FILTER_BUCKETS - 1)] === 0) return -1;
    const keys = this.keys;
    const key = fingerprint | 0;
    const entries = this.entries;
    for (let index = 0; index < keys.length; index++) {
      if (keys[index] !== key) continue;
      const row = index << ROW_SHIFT;
      if (entries[row + FIELD_FINGERPRINT] === fingerprint && entries[row + FIELD_LENGTH] === length) return index;
    }
    return -1;
  }

  /** Fingerprint in slot `index` (-1: empty). */
  fingerprint(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_FINGERPRINT]!;
  }

  /** Payload length in slot `index` (-1: empty). */
  length(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_LENGTH]!;
  }

  /** Capture time in slot `index`, µs. */
  timeUs(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_TIME_US]!;
  }

  /** IP identification in slot `index` (-1: none). */
  ipIdentification(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_IP_IDENTIFICATION]!;
  }

  /** Capture interface in slot `index`. */
  interfaceId(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_INTERFACE_ID]!;
  }

  /** Remembers a datagram in place of the oldest entry (nothing when the capacity is 0). */
  add(fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): void {
    if (this.capacity === 0) return;
    const entries = this.entries;
    const slot = this.nextSlot;
    const row = slot << ROW_SHIFT;
    if (entries[row + FIELD_LENGTH]! >= 0) this.filter[this.keys[slot]! & (FILTER_BUCKETS - 1)]! -= 1;
    this.filter[fingerprint & (FILTER_BUCKETS - 1)]! += 1;
    this.keys[slot] = fingerprint | 0;
    entries[row + FIELD_FINGERPRINT] = fingerprint;
    entries[row + FIELD_LENGTH] = length | 0;
    entries[row + FIELD_TIME_US] = tUs;
    entries[row + FIELD_IP_IDENTIFICATION] = ipIdentification;
    entries[row + FIELD_INTERFACE_ID] = interfaceId | 0;
    this.nextSlot = (this.nextSlot + 1) % this.capacity;
  }

  /** The ring as plain data, slot by slot. */
  saveColumns(): RecentDatagramsColumns {
    const column = (field: number): number[] => Array.from({ length: this.capacity }, (_, index) => this.entries[(index << ROW_SHIFT) + field]!);
    return {
      fingerprints: column(FIELD_FINGERPRINT),
      lengths: column(FIELD_LENGTH),
      timesUs: column(FIELD_TIME_US),
      ipIdentifications: column(FIELD_IP_IDENTIFICATION),
      interfaceIds: column(FIELD_INTERFACE_ID),
      next: this.nextSlot,
    };
  }

  /**
   * A ring of `capacity` entries from {@link RecentDatagrams.saveColumns}
   * (throws a RangeError unless every column has `capacity` entries and `next`
   * is a slot).
   */
  static fromColumns(columns: RecentDatagramsColumns, capacity: number = DEFAULT_RECENT_DATAGRAMS): RecentDatagrams {
    const all = [columns.fingerprints, columns.lengths, columns.timesUs, columns.ipIdentifications, columns.interfaceIds];
    if (all.some((column) => column.length !== capacity)) throw new RangeError(`recent datagrams must have ${capacity} entries`);
    if (!Number.isInteger(columns.next) || columns.next < 0 || (capacity > 0 ? columns.next >= capacity : columns.next !== 0)) {
      throw new RangeError(`recent datagrams: next slot ${columns.next} is not one of ${capacity}`);
    }
    const ring = new RecentDatagrams(capacity);
    for (let index = 0; index < capacity; index++) {
      const row = index << ROW_SHIFT;
      const length = columns.lengths[index]! | 0;
      ring.entries[row + FIELD_FINGERPRINT] = columns.fingerprints[index]!;
      ring.keys[index] = columns.fingerprints[index]! | 0;
      ring.entries[row + FIELD_LENGTH] = length;
      ring.entries[row + FIELD_TIME_US] = columns.timesUs[index]!;
      ring.entries[row + FIELD_IP_IDENTIFICATION] = columns.ipIdentifications[index]!;
      ring.entries[row + FIELD_INTERFACE_ID] = columns.interfaceIds[index]! | 0;
      if (length >= 0) ring.filter[columns.fingerprints[index]! & (FILTER_BUCKETS - 1)]! += 1;
    }
    ring.nextSlot = columns.next;
    return ring;
  }
}
