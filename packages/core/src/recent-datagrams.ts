import { DEFAULT_RECENT_DATAGRAMS, RecentPayloadRings, type RecentDatagramsColumns } from "./recent-payload-rings.js";

/**
 * The last `capacity` distinct payloads of one session direction —
 * fingerprint, length and capture stamp — for telling a repeated datagram (a
 * resend, or a capture duplicate: core's `isCaptureDuplicate`) from a new one:
 * one ring of {@link RecentPayloadRings} (the one implementation of the ring;
 * bandwidth keeps one of these per direction, loss all its directions' rings
 * in one `RecentPayloadRings`). A find gives the first matching slot in slot
 * order; a new datagram replaces the oldest entry.
 */
export class RecentDatagrams {
  private readonly rings: RecentPayloadRings;
  private readonly ring: number;

  /** `capacity`: entries remembered (a non-negative integer; 0 remembers nothing). */
  constructor(readonly capacity: number = DEFAULT_RECENT_DATAGRAMS) {
    this.rings = new RecentPayloadRings(capacity);
    this.ring = this.rings.allocate();
  }

  /** The slot the next datagram replaces (the oldest entry once the ring is full). */
  get next(): number {
    return this.rings.next(this.ring);
  }

  /** The first slot (in slot order) holding this fingerprint and length, or -1. */
  find(fingerprint: number, length: number): number {
    return this.rings.find(this.ring, fingerprint, length);
  }

  /** Fingerprint in slot `index` (-1: empty). */
  fingerprint(index: number): number {
    return this.rings.fingerprint(this.ring, index);
  }

  /** Payload length in slot `index` (-1: empty). */
  length(index: number): number {
    return this.rings.length(this.ring, index);
  }

  /** Capture time in slot `index`, µs. */
  timeUs(index: number): number {
    return this.rings.timeUs(this.ring, index);
  }

  /** IP identification in slot `index` (-1: none). */
  ipIdentification(index: number): number {
    return this.rings.ipIdentification(this.ring, index);
  }

  /** Capture interface in slot `index`. */
  interfaceId(index: number): number {
    return this.rings.interfaceId(this.ring, index);
  }

  /** Remembers a datagram in place of the oldest entry (nothing when the capacity is 0). */
  add(fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): void {
    this.rings.add(this.ring, fingerprint, length, tUs, ipIdentification, interfaceId);
  }

  /** The ring as plain data, slot by slot. */
  saveColumns(): RecentDatagramsColumns {
    return this.rings.saveColumns(this.ring);
  }

  /**
   * A ring of `capacity` entries from {@link RecentDatagrams.saveColumns}
   * (throws a RangeError unless every column has `capacity` entries and `next`
   * is a slot).
   */
  static fromColumns(columns: RecentDatagramsColumns, capacity: number = DEFAULT_RECENT_DATAGRAMS): RecentDatagrams {
    const ring = new RecentDatagrams(capacity);
    ring.rings.loadColumns(columns, ring.ring);
    return ring;
  }
}
