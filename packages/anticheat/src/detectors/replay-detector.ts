import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";

const SLOTS = 256;
const MAX_CHANNELS = 8;

/** Slot layout: sequence, packet index, fingerprint, arrival µs (interleaved: one cache line per lookup). */
const STRIDE = 4;

interface SequenceSpace {
  slots: Float64Array;
  newest: number;
  bits: number;
}

function createSpace(): SequenceSpace {
  const slots = new Float64Array(SLOTS * STRIDE);
  for (let index = 0; index < slots.length; index += STRIDE) slots[index] = Number.NaN;
  return { slots, newest: Number.NaN, bits: 0 };
}

/** A numeric digest of what a message claims (enough to tell a repeat from an edit). */
function fingerprint(message: GameMessage): number {
  const roles = message.roles;
  // Plain float arithmetic (no modulo, no allocation): equal inputs give equal digests.
  return (
    message.packetWireLength * 1_000_003 +
    message.byteLength * 131 +
    (roles.sendTimeUs ?? 0) +
    (roles.inputSequence ?? 0) * 17 +
    (roles.tick ?? 0) * 13 +
    (roles.position === undefined ? 0 : roles.position.x * 7) +
    (roles.targetTimeUs ?? 0) * 3
  );
}

/**
 * Replay / duplication: a sequence number seen again in another datagram
 * (with a different payload: an edited replay; with the same payload long
 * after the original: a re-sent capture), or a sequence number older than the
 * replay window. Legitimate cases are skipped: retransmissions marked by
 * `resendCount` > 0 (Firefall resends), network duplicates (same payload
 * within `duplicateWindowMs`), and several messages of one datagram sharing
 * the datagram's sequence. Memory: 256 slots per channel, at most 8 channels.
 */
export class ReplayDetector implements SessionDetector {
  private readonly spaces = new Map<string | number, SequenceSpace>();
  private lastChannel: string | number | undefined;
  private lastSpace: SequenceSpace | undefined;
  private replays = 0;
  private edited = 0;
  private resent = 0;
  private stale = 0;
  /** Network duplicates seen (benign). */
  duplicates = 0;
  /** Marked retransmissions seen (benign). */
  retransmissions = 0;
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  private maxStaleness = 0;
  private readonly packetIndices: number[] = [];

  constructor(private readonly options: AnticheatOptions) {}

  onClientMessage(message: GameMessage): void {
    const roles = message.roles;
    const sequence = roles.sequence;
    if (sequence === undefined) return;
    if (roles.resendCount !== undefined && roles.resendCount > 0) {
      this.retransmissions += 1;
      return;
    }
    const channel = roles.channel ?? 0;
    let space = channel === this.lastChannel ? this.lastSpace : this.spaces.get(channel);
    if (space === undefined) {
      if (this.spaces.size >= MAX_CHANNELS) return;
      space = createSpace();
      this.spaces.set(channel, space);
    }
    this.lastChannel = channel;
    this.lastSpace = space;
    if (roles.sequenceBits !== undefined) space.bits = roles.sequenceBits;
    const slot = STRIDE * ((sequence >>> 0) === sequence ? sequence & (SLOTS - 1) : ((sequence % SLOTS) + SLOTS) % SLOTS);
    const slots = space.slots;
    if (slots[slot] === sequence) {
      if (slots[slot + 1] === message.packetIndex) return;
      // Judge a repeated datagram once, by its first message: later messages of the same
      // datagram share its sequence and must not be compared with the original's first.
      slots[slot + 1] = message.packetIndex;
      const sameContent = slots[slot + 2] === fingerprint(message);
      if (sameContent && message.tUs - slots[slot + 3]! <= this.options.duplicateWindowMs * 1000) {
        this.duplicates += 1;
        return;
      }
      if (sameContent) this.resent += 1;
      else this.edited += 1;
      this.mark(message);
      return;
    }
    const newest = space.newest;
    if (newest === newest) {
      let behind = newest - sequence;
      if (space.bits > 0 && space.bits <= 53) {
        const modulus = 2 ** space.bits;
        behind = ((behind % modulus) + modulus) % modulus;
        if (behind >= modulus / 2) behind -= modulus;
      }
      if (behind > this.options.replayWindow) {
        this.stale += 1;
        this.mark(message, behind);
        return;
      }
      if (behind < 0) space.newest = sequence;
    } else {
      space.newest = sequence;
    }
    slots[slot] = sequence;
    slots[slot + 1] = message.packetIndex;
    slots[slot + 2] = fingerprint(message);
    slots[slot + 3] = message.tUs;
  }

  private mark(message: GameMessage, behind = 0): void {
    this.replays += 1;
    if (behind > this.maxStaleness) this.maxStaleness = behind;
    if (Number.isNaN(this.firstUs)) this.firstUs = message.tUs;
    this.lastUs = message.tUs;
    addEvidencePacket(this.packetIndices, message.packetIndex);
  }

  finish(_timeline: unknown, events: DetectorEvent[]): void {
    if (this.replays === 0) return;
    events.push({
      kind: "replay",
      startUs: this.firstUs,
      endUs: this.lastUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.1 * (this.replays - 1))),
      summary: `${this.replays} client datagrams reuse or rewind sequence numbers: ${this.edited} with a different payload, ${this.resent} byte-identical re-sends after the duplicate window, ${this.stale} older than the ${this.options.replayWindow}-packet replay window.`,
      values: {
        replays: this.replays,
        editedPayload: this.edited,
        resentIdentical: this.resent,
        staleSequences: this.stale,
        maxPacketsBehind: this.maxStaleness,
        networkDuplicates: this.duplicates,
        legitimateRetransmissions: this.retransmissions,
      },
      packetIndices: [...this.packetIndices],
    });
  }
}
