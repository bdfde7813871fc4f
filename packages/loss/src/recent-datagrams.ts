import type { LossRecentState } from "./loss-analyzer-state.js";

/** Datagrams remembered per session and direction for capture-duplicate detection (as bandwidth does). */
export const RECENT_DATAGRAMS = 32;

/** Fields of an entry's row: fingerprint, payload length, capture time (µs), IP identification, capture interface. */
const FIELD_FINGERPRINT = 0;
const FIELD_LENGTH = 1;
const FIELD_TIME_US = 2;
const FIELD_IP_IDENTIFICATION = 3;
const FIELD_INTERFACE_ID = 4;
/** Doubles per row (log2): rows of eight, so an entry never straddles two cache lines. */
const ROW_SHIFT = 3;

/**
 * The last {@link RECENT_DATAGRAMS} distinct payloads of one direction:
 * fingerprint, length and capture stamp, in a ring. One table of doubles
 * (a row per entry) instead of a column per field, so remembering a datagram
 * touches one row rather than five arrays. Lengths and interface ids are kept
 * as 32-bit integers (`| 0`), as the saved state holds them.
 */
export class RecentDatagrams {
  private readonly entries = new Float64Array(RECENT_DATAGRAMS << ROW_SHIFT);
  /** Entries in use by the low byte of their fingerprint: a datagram whose byte counts 0 matches none (the ring is not scanned). */
  private readonly byLowByte = new Uint8Array(256);
  /** The entry the next datagram replaces. */
  private next = 0;

  constructor() {
    for (let index = 0; index < RECENT_DATAGRAMS; index++) {
      this.entries[(index << ROW_SHIFT) + FIELD_FINGERPRINT] = -1;
      this.entries[(index << ROW_SHIFT) + FIELD_LENGTH] = -1;
    }
  }

  /** The first entry (in ring slot order) with this fingerprint and length, or -1. */
  find(fingerprint: number, length: number): number {
    if (this.byLowByte[fingerprint & 255] === 0) return -1;
    const entries = this.entries;
    for (let index = 0; index < RECENT_DATAGRAMS; index++) {
      const row = index << ROW_SHIFT;
      if (entries[row + FIELD_FINGERPRINT] === fingerprint && entries[row + FIELD_LENGTH] === length) return index;
    }
    return -1;
  }

  /** Capture time of entry `index`, µs. */
  timeUs(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_TIME_US]!;
  }

  /** IP identification of entry `index` (-1: none). */
  ipIdentification(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_IP_IDENTIFICATION]!;
  }

  /** Capture interface of entry `index`. */
  interfaceId(index: number): number {
    return this.entries[(index << ROW_SHIFT) + FIELD_INTERFACE_ID]!;
  }

  /** Remembers a datagram in place of the oldest entry. */
  add(fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): void {
    const entries = this.entries;
    const row = this.next << ROW_SHIFT;
    if (entries[row + FIELD_LENGTH]! >= 0) this.byLowByte[entries[row + FIELD_FINGERPRINT]! & 255]! -= 1;
    this.byLowByte[fingerprint & 255]! += 1;
    entries[row + FIELD_FINGERPRINT] = fingerprint;
    entries[row + FIELD_LENGTH] = length | 0;
    entries[row + FIELD_TIME_US] = tUs;
    entries[row + FIELD_IP_IDENTIFICATION] = ipIdentification;
    entries[row + FIELD_INTERFACE_ID] = interfaceId | 0;
    this.next = (this.next + 1) % RECENT_DATAGRAMS;
  }

  /** The ring as plain data (a column per field, in slot order). */
  saveState(): LossRecentState {
    const column = (field: number): number[] => Array.from({ length: RECENT_DATAGRAMS }, (_, index) => this.entries[(index << ROW_SHIFT) + field]!);
    return {
      fingerprints: column(FIELD_FINGERPRINT),
      lengths: column(FIELD_LENGTH),
      timesUs: column(FIELD_TIME_US),
      ipIdentifications: column(FIELD_IP_IDENTIFICATION),
      interfaceIds: column(FIELD_INTERFACE_ID),
      next: this.next,
    };
  }

  /** A ring from {@link RecentDatagrams.saveState} (throws a RangeError unless every column has {@link RECENT_DATAGRAMS} entries). */
  static fromState(state: LossRecentState): RecentDatagrams {
    const columns = [state.fingerprints, state.lengths, state.timesUs, state.ipIdentifications, state.interfaceIds];
    if (columns.some((column) => column.length !== RECENT_DATAGRAMS)) throw new RangeError(`recent datagrams must have ${RECENT_DATAGRAMS} entries`);
    const ring = new RecentDatagrams();
    for (let index = 0; index < RECENT_DATAGRAMS; index++) {
      const row = index << ROW_SHIFT;
      ring.entries[row + FIELD_FINGERPRINT] = state.fingerprints[index]!;
      ring.entries[row + FIELD_LENGTH] = state.lengths[index]! | 0;
      ring.entries[row + FIELD_TIME_US] = state.timesUs[index]!;
      ring.entries[row + FIELD_IP_IDENTIFICATION] = state.ipIdentifications[index]!;
      ring.entries[row + FIELD_INTERFACE_ID] = state.interfaceIds[index]! | 0;
      if ((state.lengths[index]! | 0) >= 0) ring.byLowByte[state.fingerprints[index]! & 255]! += 1;
    }
    ring.next = state.next;
    return ring;
  }
}
