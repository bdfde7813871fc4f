import { DEFAULT_RECENT_DATAGRAMS, type RecentDatagramsColumns } from "@tickscope/core";

/** Entries of each ring (core's default ring size: the saved columns are core's {@link RecentDatagramsColumns} of this many entries). */
export const RING_ENTRIES = DEFAULT_RECENT_DATAGRAMS;

/** Doubles per entry row: capture time (µs), fingerprint, IP identification, then two 32-bit words (payload length, capture interface). */
const ROW_DOUBLES = 4;
const FIELD_TIME_US = 0;
const FIELD_FINGERPRINT = 1;
const FIELD_IP_IDENTIFICATION = 2;
/** 32-bit word offsets of the length and interface within a row (the row's last double). */
const WORD_LENGTH = 6;
const WORD_INTERFACE_ID = 7;
/** Tag of an entry: the fingerprint's low 16 bits (a ring's 32 tags fill one cache line). */
const TAG_MASK = 0xffff;
/** Rings the tables hold before they first grow. */
const INITIAL_RINGS = 16;

/**
 * The recent-datagram rings of every session direction of one loss analyzer —
 * each the last {@link RING_ENTRIES} distinct payloads of its direction
 * (fingerprint, length and capture stamp), with core's `RecentDatagrams`
 * semantics (first matching slot in slot order, the oldest entry replaced) and
 * its saved columns — kept in tables shared by all rings instead of one object
 * and three typed arrays per ring. A ring is touched once per datagram of its
 * direction, long after the last time (hundreds of directions interleave), so
 * what a datagram costs is the cache lines it touches: here its ring's tag line
 * (32 16-bit tags, scanned) and, on a tag match or a new entry, one 32-byte
 * row; the tables' array objects and the next-slot bytes stay in the cache.
 * A ring is a number (its index), allocated once and never freed (rings live
 * as long as the analyzer).
 */
export class RecentPayloadRings {
  private tags = new Uint16Array(INITIAL_RINGS * RING_ENTRIES);
  private rows = new Float64Array(INITIAL_RINGS * RING_ENTRIES * ROW_DOUBLES);
  private words = new Int32Array(this.rows.buffer);
  private nextSlots = new Uint8Array(INITIAL_RINGS);
  private ringCount = 0;

  /** Rings allocated. */
  get size(): number {
    return this.ringCount;
  }

  /** A new empty ring (every slot: fingerprint and length -1, the rest 0; the next slot 0). */
  allocate(): number {
    const ring = this.ringCount;
    if (ring === this.nextSlots.length) this.grow();
    this.ringCount = ring + 1;
    for (let slot = 0; slot < RING_ENTRIES; slot++) this.setEntry(ring, slot, -1, -1, 0, 0, 0);
    return ring;
  }

  private grow(): void {
    const rings = this.nextSlots.length * 2;
    const tags = new Uint16Array(rings * RING_ENTRIES);
    tags.set(this.tags);
    const rows = new Float64Array(rings * RING_ENTRIES * ROW_DOUBLES);
    rows.set(this.rows);
    const nextSlots = new Uint8Array(rings);
    nextSlots.set(this.nextSlots);
    this.tags = tags;
    this.rows = rows;
    this.words = new Int32Array(rows.buffer);
    this.nextSlots = nextSlots;
  }

  private setEntry(ring: number, slot: number, fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): void {
    const entry = ring * RING_ENTRIES + slot;
    const row = entry * ROW_DOUBLES;
    this.tags[entry] = fingerprint & TAG_MASK;
    this.rows[row + FIELD_TIME_US] = tUs;
    this.rows[row + FIELD_FINGERPRINT] = fingerprint;
    this.rows[row + FIELD_IP_IDENTIFICATION] = ipIdentification;
    this.words[row * 2 + WORD_LENGTH] = length;
    this.words[row * 2 + WORD_INTERFACE_ID] = interfaceId;
  }

  /** The first slot (in slot order) of `ring` holding this fingerprint and length, or -1. */
  find(ring: number, fingerprint: number, length: number): number {
    const tags = this.tags;
    const tag = fingerprint & TAG_MASK;
    const first = ring * RING_ENTRIES;
    for (let entry = first, end = first + RING_ENTRIES; entry < end; entry++) {
      if (tags[entry] !== tag) continue;
      const row = entry * ROW_DOUBLES;
      if (this.rows[row + FIELD_FINGERPRINT] === fingerprint && this.words[row * 2 + WORD_LENGTH] === length) return entry - first;
    }
    return -1;
  }

  /** Capture time of `slot` in `ring`, µs. */
  timeUs(ring: number, slot: number): number {
    return this.rows[(ring * RING_ENTRIES + slot) * ROW_DOUBLES + FIELD_TIME_US]!;
  }

  /** IP identification of `slot` in `ring` (-1: none). */
  ipIdentification(ring: number, slot: number): number {
    return this.rows[(ring * RING_ENTRIES + slot) * ROW_DOUBLES + FIELD_IP_IDENTIFICATION]!;
  }

  /** Capture interface of `slot` in `ring`. */
  interfaceId(ring: number, slot: number): number {
    return this.words[(ring * RING_ENTRIES + slot) * ROW_DOUBLES * 2 + WORD_INTERFACE_ID]!;
  }

  /** Remembers a datagram in `ring` in place of its oldest entry (length and interface kept as 32-bit integers, `| 0`, as core's ring keeps them). */
  add(ring: number, fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): void {
    const slot = this.nextSlots[ring]!;
    this.setEntry(ring, slot, fingerprint, length | 0, tUs, ipIdentification, interfaceId | 0);
    this.nextSlots[ring] = slot + 1 === RING_ENTRIES ? 0 : slot + 1;
  }

  /** `ring` as core's columns, slot by slot (what core's `RecentDatagrams.saveColumns` gives for the same datagrams). */
  saveColumns(ring: number): RecentDatagramsColumns {
    const columns: RecentDatagramsColumns = { fingerprints: [], lengths: [], timesUs: [], ipIdentifications: [], interfaceIds: [], next: this.nextSlots[ring]! };
    for (let slot = 0; slot < RING_ENTRIES; slot++) {
      const row = (ring * RING_ENTRIES + slot) * ROW_DOUBLES;
      columns.fingerprints.push(this.rows[row + FIELD_FINGERPRINT]!);
      columns.lengths.push(this.words[row * 2 + WORD_LENGTH]!);
      columns.timesUs.push(this.rows[row + FIELD_TIME_US]!);
      columns.ipIdentifications.push(this.rows[row + FIELD_IP_IDENTIFICATION]!);
      columns.interfaceIds.push(this.words[row * 2 + WORD_INTERFACE_ID]!);
    }
    return columns;
  }

  /**
   * A new ring from saved columns (as core's `RecentDatagrams.fromColumns`:
   * throws a RangeError unless every column has {@link RING_ENTRIES} entries
   * and `next` is a slot).
   */
  loadColumns(columns: RecentDatagramsColumns): number {
    const all = [columns.fingerprints, columns.lengths, columns.timesUs, columns.ipIdentifications, columns.interfaceIds];
    if (all.some((column) => column.length !== RING_ENTRIES)) throw new RangeError(`recent datagrams must have ${RING_ENTRIES} entries`);
    if (!Number.isInteger(columns.next) || columns.next < 0 || columns.next >= RING_ENTRIES) {
      throw new RangeError(`recent datagrams: next slot ${columns.next} is not one of ${RING_ENTRIES}`);
    }
    const ring = this.allocate();
    for (let slot = 0; slot < RING_ENTRIES; slot++) {
      this.setEntry(ring, slot, columns.fingerprints[slot]!, columns.lengths[slot]! | 0, columns.timesUs[slot]!, columns.ipIdentifications[slot]!, columns.interfaceIds[slot]! | 0);
    }
    this.nextSlots[ring] = columns.next;
    return ring;
  }
}
