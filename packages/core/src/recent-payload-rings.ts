/** Datagrams a recent-datagram ring remembers unless told otherwise (per session and direction). */
export const DEFAULT_RECENT_DATAGRAMS = 32;

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

/** Doubles per entry row: capture time (µs), fingerprint, IP identification, then two 32-bit words (payload length, capture interface). */
const ROW_DOUBLES = 4;
const FIELD_TIME_US = 0;
const FIELD_FINGERPRINT = 1;
const FIELD_IP_IDENTIFICATION = 2;
/** 32-bit word offsets of the length and interface within a row (the row's last double). */
const WORD_LENGTH = 6;
const WORD_INTERFACE_ID = 7;
/** Tag of an entry: the fingerprint's low 16 bits (32 tags fill one cache line). */
const TAG_MASK = 0xffff;
/** Rings the tables hold before they first grow. */
const INITIAL_RINGS = 16;

/**
 * Recent-datagram rings, one per session direction: each the last
 * `entriesPerRing` distinct payloads of its direction — fingerprint, length
 * and capture stamp — for telling a repeated datagram (a resend, or a capture
 * duplicate: {@link isCaptureDuplicate}) from a new one. Loss keeps every
 * direction's ring in one instance; {@link RecentDatagrams} is one ring alone.
 *
 * The rings live in tables shared by all of them (a ring is a number, its
 * index) instead of objects and arrays per ring: a ring is touched once per
 * datagram of its direction, long after the last time (hundreds of directions
 * interleave), so what a datagram costs is the cache lines it touches — its
 * ring's tag line (16-bit tags, scanned) and, on a tag match or a new entry, one
 * 32-byte row. A find gives the first matching slot in slot order; a new
 * datagram replaces the oldest entry. Lengths and interface ids are kept as
 * 32-bit integers (`| 0`). Rings are allocated, never freed.
 */
export class RecentPayloadRings {
  private tags: Uint16Array;
  private rows: Float64Array;
  private words: Int32Array;
  private nextSlots: Int32Array;
  private ringCount = 0;

  /** `entriesPerRing`: entries each ring remembers (a non-negative integer; 0 remembers nothing). */
  constructor(readonly entriesPerRing: number = DEFAULT_RECENT_DATAGRAMS) {
    if (!Number.isInteger(entriesPerRing) || entriesPerRing < 0) throw new RangeError(`a recent-datagram ring holds a non-negative integer number of entries, got ${entriesPerRing}`);
    this.tags = new Uint16Array(INITIAL_RINGS * entriesPerRing);
    this.rows = new Float64Array(INITIAL_RINGS * entriesPerRing * ROW_DOUBLES);
    this.words = new Int32Array(this.rows.buffer);
    this.nextSlots = new Int32Array(INITIAL_RINGS);
  }

  /** Rings allocated. */
  get size(): number {
    return this.ringCount;
  }

  /** A new empty ring (every slot: fingerprint and length -1, the rest 0; the next slot 0). */
  allocate(): number {
    const ring = this.ringCount;
    if (ring === this.nextSlots.length) this.grow();
    this.ringCount = ring + 1;
    for (let slot = 0; slot < this.entriesPerRing; slot++) this.setEntry(ring, slot, -1, -1, 0, 0, 0);
    return ring;
  }

  private grow(): void {
    const rings = this.nextSlots.length * 2;
    const tags = new Uint16Array(rings * this.entriesPerRing);
    tags.set(this.tags);
    const rows = new Float64Array(rings * this.entriesPerRing * ROW_DOUBLES);
    rows.set(this.rows);
    const nextSlots = new Int32Array(rings);
    nextSlots.set(this.nextSlots);
    this.tags = tags;
    this.rows = rows;
    this.words = new Int32Array(rows.buffer);
    this.nextSlots = nextSlots;
  }

  private setEntry(ring: number, slot: number, fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): void {
    const entry = ring * this.entriesPerRing + slot;
    const row = entry * ROW_DOUBLES;
    this.tags[entry] = fingerprint & TAG_MASK;
    this.rows[row + FIELD_TIME_US] = tUs;
    this.rows[row + FIELD_FINGERPRINT] = fingerprint;
    this.rows[row + FIELD_IP_IDENTIFICATION] = ipIdentification;
    this.words[row * 2 + WORD_LENGTH] = length;
    this.words[row * 2 + WORD_INTERFACE_ID] = interfaceId;
  }

  /** The first slot (in slot order) of `ring` holding this fingerprint and length, or -1 (always for a negative length: empty slots hold -1). */
  find(ring: number, fingerprint: number, length: number): number {
    if (length < 0) return -1;
    const tags = this.tags;
    const tag = fingerprint & TAG_MASK;
    const first = ring * this.entriesPerRing;
    for (let entry = first, end = first + this.entriesPerRing; entry < end; entry++) {
      if (tags[entry] !== tag) continue;
      const row = entry * ROW_DOUBLES;
      if (this.rows[row + FIELD_FINGERPRINT] === fingerprint && this.words[row * 2 + WORD_LENGTH] === length) return entry - first;
    }
    return -1;
  }

  /** The slot of `ring` the next datagram replaces (the oldest entry once the ring is full). */
  next(ring: number): number {
    return this.nextSlots[ring]!;
  }

  /** Fingerprint of `slot` in `ring` (-1: empty). */
  fingerprint(ring: number, slot: number): number {
    return this.rows[(ring * this.entriesPerRing + slot) * ROW_DOUBLES + FIELD_FINGERPRINT]!;
  }

  /** Payload length of `slot` in `ring` (-1: empty). */
  length(ring: number, slot: number): number {
    return this.words[(ring * this.entriesPerRing + slot) * ROW_DOUBLES * 2 + WORD_LENGTH]!;
  }

  /** Capture time of `slot` in `ring`, µs. */
  timeUs(ring: number, slot: number): number {
    return this.rows[(ring * this.entriesPerRing + slot) * ROW_DOUBLES + FIELD_TIME_US]!;
  }

  /** IP identification of `slot` in `ring` (-1: none). */
  ipIdentification(ring: number, slot: number): number {
    return this.rows[(ring * this.entriesPerRing + slot) * ROW_DOUBLES + FIELD_IP_IDENTIFICATION]!;
  }

  /** Capture interface of `slot` in `ring`. */
  interfaceId(ring: number, slot: number): number {
    return this.words[(ring * this.entriesPerRing + slot) * ROW_DOUBLES * 2 + WORD_INTERFACE_ID]!;
  }

  /** Remembers a datagram in `ring` in place of its oldest entry (nothing when rings hold no entries). */
  add(ring: number, fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): void {
    const entries = this.entriesPerRing;
    if (entries === 0) return;
    const slot = this.nextSlots[ring]!;
    this.setEntry(ring, slot, fingerprint, length | 0, tUs, ipIdentification, interfaceId | 0);
    this.nextSlots[ring] = slot + 1 === entries ? 0 : slot + 1;
  }

  /** `ring` as plain data, slot by slot. */
  saveColumns(ring: number): RecentDatagramsColumns {
    const columns: RecentDatagramsColumns = { fingerprints: [], lengths: [], timesUs: [], ipIdentifications: [], interfaceIds: [], next: this.nextSlots[ring]! };
    for (let slot = 0; slot < this.entriesPerRing; slot++) {
      const row = (ring * this.entriesPerRing + slot) * ROW_DOUBLES;
      columns.fingerprints.push(this.rows[row + FIELD_FINGERPRINT]!);
      columns.lengths.push(this.words[row * 2 + WORD_LENGTH]!);
      columns.timesUs.push(this.rows[row + FIELD_TIME_US]!);
      columns.ipIdentifications.push(this.rows[row + FIELD_IP_IDENTIFICATION]!);
      columns.interfaceIds.push(this.words[row * 2 + WORD_INTERFACE_ID]!);
    }
    return columns;
  }

  /**
   * A new ring from {@link RecentPayloadRings.saveColumns} (or `into`, an
   * allocated ring, overwritten): throws a RangeError unless every column has
   * `entriesPerRing` entries and `next` is a slot (0 when rings hold none).
   */
  loadColumns(columns: RecentDatagramsColumns, into?: number): number {
    const entries = this.entriesPerRing;
    const all = [columns.fingerprints, columns.lengths, columns.timesUs, columns.ipIdentifications, columns.interfaceIds];
    if (all.some((column) => column.length !== entries)) throw new RangeError(`recent datagrams must have ${entries} entries`);
    if (!Number.isInteger(columns.next) || columns.next < 0 || (entries > 0 ? columns.next >= entries : columns.next !== 0)) {
      throw new RangeError(`recent datagrams: next slot ${columns.next} is not one of ${entries}`);
    }
    const ring = into ?? this.allocate();
    for (let slot = 0; slot < entries; slot++) {
      this.setEntry(ring, slot, columns.fingerprints[slot]!, columns.lengths[slot]! | 0, columns.timesUs[slot]!, columns.ipIdentifications[slot]!, columns.interfaceIds[slot]! | 0);
    }
    this.nextSlots[ring] = columns.next;
    return ring;
  }
}
