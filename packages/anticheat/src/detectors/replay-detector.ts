import { Type, type Static } from "@sinclair/typebox";
import { serialDifference, type GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import { CountSchema, decodeFloat, EncodedFloatSchema, encodeFloat, EvidencePacketsSchema, placePacketIndices } from "../state-encoding.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";

const SLOTS = 256;
const MAX_CHANNELS = 8;
const TWO_POW_32 = 2 ** 32;

/**
 * Slot layout (interleaved: one cache line per lookup): sequence low 32 bits,
 * sequence high bits, packet index, fingerprint, arrival µs.
 */
const STRIDE = 5;

interface SequenceSpace {
  slots: Float64Array;
  /** Newest sequence (raw wire value), undefined before the first. */
  newest: number | bigint | undefined;
  bits: number;
  /** 2^{@link bits}, kept with it (no power per message). */
  modulus: number;
}

function createSpace(): SequenceSpace {
  const slots = new Float64Array(SLOTS * STRIDE);
  for (let index = 0; index < slots.length; index += STRIDE) slots[index] = Number.NaN;
  return { slots, newest: undefined, bits: 0, modulus: 1 };
}

/** A numeric digest of what a message claims (enough to tell a repeat from an edit). */
function fingerprint(message: GameMessage): number {
  const roles = message.roles;
  // Plain float arithmetic (no modulo, no allocation): equal inputs give equal digests.
  return (
    message.packetWireLength * 1_000_003 +
    message.byteLength * 131 +
    (roles.sendTimeUs ?? 0) +
    Number(roles.inputSequence ?? 0) * 17 +
    Number(roles.tick ?? 0) * 13 +
    (roles.position === undefined ? 0 : roles.position.x * 7) +
    (roles.targetTimeUs ?? 0) * 3
  );
}

/** Kind of repeat found: counted as a replay or explained as protocol behaviour. */
type RepeatClass = "authenticated" | "unauthenticated" | "handshake";

/**
 * Sequence spaces are kept apart per class: datagrams sent before the session
 * was established (handshake), authenticated ones, and the rest. A connection
 * request's sequence (netcode's is empty: 0) must not become the newest
 * sequence of the gameplay space, or every gameplay datagram would look
 * hundreds of packets stale.
 */
const CLASSES: readonly RepeatClass[] = ["authenticated", "unauthenticated", "handshake"];

/** Saved repeat figures of one counted class (authenticated or unauthenticated). */
const RepeatClassStateSchema = Type.Object({
  edited: CountSchema,
  resent: CountSchema,
  stale: CountSchema,
  firstUs: EncodedFloatSchema,
  lastUs: EncodedFloatSchema,
  maxStaleness: Type.Number({ minimum: 0 }),
  packetIndices: EvidencePacketsSchema,
});

/**
 * Saved state of a {@link ReplayDetector}: the repeat counts and evidence the
 * finding is made of. The sequence slots themselves are not saved (256 per
 * space, only needed to go on feeding): a datagram repeated across a
 * rotation cut — its original in one pass, the repeat in the next — is not
 * recognised as a repeat.
 */
export const ReplayStateSchema = Type.Object({
  /** Repeats counted per class: authenticated, unauthenticated, handshake. */
  repeats: Type.Array(CountSchema, { minItems: 3, maxItems: 3 }),
  authenticated: RepeatClassStateSchema,
  unauthenticated: RepeatClassStateSchema,
  duplicates: CountSchema,
  retransmissions: CountSchema,
  sequencedDatagrams: CountSchema,
  authenticatedMessages: CountSchema,
});

/** See {@link ReplayStateSchema}. */
export type ReplayState = Static<typeof ReplayStateSchema>;

/**
 * Replay / duplication: a sequenced gameplay datagram seen again in another
 * datagram (with a different payload: an edited replay; with the same payload
 * long after the original: a re-sent capture), or a sequence number older
 * than the replay window.
 *
 * Standard protocol behaviour is not replay: retransmissions marked by
 * `resendCount` > 0 (Firefall resends), network duplicates (same payload
 * within `duplicateWindowMs`), several messages of one datagram sharing its
 * sequence, and handshake retries — a repeat whose original was sent before
 * the server had answered the session (netcode's client resends its
 * connection request until the server is up). When a session carries
 * authenticated traffic (`authenticated` role: a MAC/AEAD verified), only
 * authenticated datagrams count: an unauthenticated repeat there is a
 * connection request, which the protocol leaves unauthenticated. Messages
 * whose authentication failed are the tampering detector's. Sequence numbers
 * may be 64-bit (`bigint`); comparisons use core's serial-number arithmetic.
 * Memory: 256 slots per sequence space (channel × class), at most 8 spaces.
 */
export class ReplayDetector implements SessionDetector {
  /** Sequence spaces per class (index in {@link CLASSES}) and channel; a class's map is created at its first datagram. */
  private readonly spaces: Array<Map<string | number, SequenceSpace> | undefined> = [undefined, undefined, undefined];
  private spaceCount = 0;
  private lastClass = -1;
  private lastChannel: string | number | undefined;
  private lastSpace: SequenceSpace | undefined;
  private readonly counts = { authenticated: 0, unauthenticated: 0, handshake: 0 };
  private edited = 0;
  private resent = 0;
  private stale = 0;
  private unauthenticatedEdited = 0;
  private unauthenticatedResent = 0;
  private unauthenticatedStale = 0;
  /** Network duplicates seen (benign). */
  duplicates = 0;
  /** Marked retransmissions seen (benign). */
  retransmissions = 0;
  /** Repeats of datagrams sent before the session was established (benign handshake retries). */
  get handshakeRetries(): number {
    return this.counts.handshake;
  }
  /** Client datagrams with a sequence role (distinct packet indices). */
  sequencedDatagrams = 0;
  private lastPacketIndex = -1;
  /** Client messages that verified (MAC/AEAD). */
  private authenticatedMessages = 0;
  private readonly firstUs = { authenticated: Number.NaN, unauthenticated: Number.NaN };
  private readonly lastUs = { authenticated: Number.NaN, unauthenticated: Number.NaN };
  private readonly maxStaleness = { authenticated: 0, unauthenticated: 0 };
  private readonly packetIndices = { authenticated: [] as number[], unauthenticated: [] as number[] };

  constructor(private readonly options: AnticheatOptions) {}

  onClientMessage(message: GameMessage, _claimedUs?: number, timeline?: SessionTimeline): void {
    const roles = message.roles;
    const sequence: number | bigint | undefined = roles.sequence;
    if (sequence === undefined) return;
    if (message.packetIndex !== this.lastPacketIndex) {
      this.lastPacketIndex = message.packetIndex;
      this.sequencedDatagrams += 1;
    }
    const authenticated = roles.authenticated;
    if (authenticated === false) return;
    if (authenticated === true) this.authenticatedMessages += 1;
    if (roles.resendCount !== undefined && roles.resendCount > 0) {
      this.retransmissions += 1;
      return;
    }
    const channel = roles.channel ?? 0;
    const established = timeline === undefined || timeline.serverDatagrams > 0 || timeline.serverPackets > 0;
    const classIndex = !established ? 2 : authenticated === true ? 0 : 1;
    let space = channel === this.lastChannel && classIndex === this.lastClass ? this.lastSpace : this.spaces[classIndex]?.get(channel);
    if (space === undefined) {
      if (this.spaceCount >= MAX_CHANNELS) return;
      space = createSpace();
      (this.spaces[classIndex] ??= new Map()).set(channel, space);
      this.spaceCount += 1;
    }
    this.lastClass = classIndex;
    this.lastChannel = channel;
    this.lastSpace = space;
    const repeat = CLASSES[classIndex]!;
    const sequenceBits = roles.sequenceBits;
    if (sequenceBits !== undefined && sequenceBits !== space.bits) {
      space.bits = sequenceBits;
      space.modulus = 2 ** sequenceBits;
    }
    let low: number;
    let high: number;
    if (typeof sequence === "number") {
      if ((sequence >>> 0) === sequence) {
        low = sequence;
        high = 0;
      } else {
        low = ((sequence % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
        high = Math.floor(sequence / TWO_POW_32);
      }
    } else {
      low = Number(BigInt.asUintN(32, sequence));
      high = Number(sequence >> 32n);
    }
    const slot = STRIDE * (low & (SLOTS - 1));
    const slots = space.slots;
    if (slots[slot] === low && slots[slot + 1] === high) {
      if (slots[slot + 2] === message.packetIndex) return;
      // Judge a repeated datagram once, by its first message: later messages of the same
      // datagram share its sequence and must not be compared with the original's first.
      slots[slot + 2] = message.packetIndex;
      const sameContent = slots[slot + 3] === fingerprint(message);
      if (sameContent && message.tUs - slots[slot + 4]! <= this.options.duplicateWindowMs * 1000) {
        this.duplicates += 1;
        return;
      }
      if (repeat === "authenticated") {
        if (sameContent) this.resent += 1;
        else this.edited += 1;
      } else if (repeat === "unauthenticated") {
        if (sameContent) this.unauthenticatedResent += 1;
        else this.unauthenticatedEdited += 1;
      }
      this.mark(message, repeat);
      return;
    }
    const newest = space.newest;
    if (newest !== undefined) {
      const bits = space.bits;
      let behind: number;
      if (typeof newest === "number" && high === 0 && bits > 0 && bits <= 32 && newest <= 0xffffffff) {
        // Hot path (a sequence of up to 32 bits): the same shortest distance as serialDifference.
        // Integers below 2^33 over a power of two: floor division, product and difference are exact
        // (the residue in [0, modulus) as % then + modulus gives, without a floating-point remainder).
        const modulus = space.modulus;
        const difference = newest - low;
        behind = difference - Math.floor(difference / modulus) * modulus;
        if (behind >= modulus / 2) behind -= modulus;
      } else {
        behind = this.behind(newest, sequence, bits);
      }
      if (behind > this.options.replayWindow) {
        if (repeat === "authenticated") this.stale += 1;
        else if (repeat === "unauthenticated") this.unauthenticatedStale += 1;
        this.mark(message, repeat, behind);
        return;
      }
      if (behind < 0) space.newest = sequence;
    } else {
      space.newest = sequence;
    }
    slots[slot] = low;
    slots[slot + 1] = high;
    slots[slot + 2] = message.packetIndex;
    slots[slot + 3] = fingerprint(message);
    slots[slot + 4] = message.tUs;
  }

  /** Packets `sequence` is behind `newest` (negative: ahead), by the field's width when known. */
  private behind(newest: number | bigint, sequence: number | bigint, bits: number): number {
    if (bits > 0 && bits <= 64) return -serialDifference(newest, sequence, bits);
    if (typeof newest === "number" && typeof sequence === "number") return newest - sequence;
    return -serialDifference(newest, sequence, 64);
  }

  private mark(message: GameMessage, repeat: RepeatClass, behind = 0): void {
    this.counts[repeat] += 1;
    if (repeat === "handshake") return;
    if (behind > this.maxStaleness[repeat]) this.maxStaleness[repeat] = behind;
    if (Number.isNaN(this.firstUs[repeat])) this.firstUs[repeat] = message.tUs;
    this.lastUs[repeat] = message.tUs;
    addEvidencePacket(this.packetIndices[repeat], message.packetIndex);
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): ReplayState {
    const saveClass = (counted: "authenticated" | "unauthenticated", edited: number, resent: number, stale: number): Static<typeof RepeatClassStateSchema> => ({
      edited,
      resent,
      stale,
      firstUs: encodeFloat(this.firstUs[counted]),
      lastUs: encodeFloat(this.lastUs[counted]),
      maxStaleness: this.maxStaleness[counted],
      packetIndices: [...this.packetIndices[counted]],
    });
    return {
      repeats: [this.counts.authenticated, this.counts.unauthenticated, this.counts.handshake],
      authenticated: saveClass("authenticated", this.edited, this.resent, this.stale),
      unauthenticated: saveClass("unauthenticated", this.unauthenticatedEdited, this.unauthenticatedResent, this.unauthenticatedStale),
      duplicates: this.duplicates,
      retransmissions: this.retransmissions,
      sequencedDatagrams: this.sequencedDatagrams,
      authenticatedMessages: this.authenticatedMessages,
    };
  }

  /** Replaces (`merge` false) or adds to (`merge` true: a rotation cut's later pass) the state from a validated saved one. */
  loadState(state: ReplayState, packetIndexOffset: number, merge = false): void {
    const add = (mine: number, theirs: number): number => (merge ? mine + theirs : theirs);
    this.counts.authenticated = add(this.counts.authenticated, state.repeats[0]!);
    this.counts.unauthenticated = add(this.counts.unauthenticated, state.repeats[1]!);
    this.counts.handshake = add(this.counts.handshake, state.repeats[2]!);
    this.edited = add(this.edited, state.authenticated.edited);
    this.resent = add(this.resent, state.authenticated.resent);
    this.stale = add(this.stale, state.authenticated.stale);
    this.unauthenticatedEdited = add(this.unauthenticatedEdited, state.unauthenticated.edited);
    this.unauthenticatedResent = add(this.unauthenticatedResent, state.unauthenticated.resent);
    this.unauthenticatedStale = add(this.unauthenticatedStale, state.unauthenticated.stale);
    for (const counted of ["authenticated", "unauthenticated"] as const) {
      const saved = state[counted];
      const firstUs = decodeFloat(saved.firstUs);
      const lastUs = decodeFloat(saved.lastUs);
      if (!merge || Number.isNaN(this.firstUs[counted])) this.firstUs[counted] = firstUs;
      if (!merge || !Number.isNaN(lastUs)) this.lastUs[counted] = lastUs;
      this.maxStaleness[counted] = merge ? Math.max(this.maxStaleness[counted], saved.maxStaleness) : saved.maxStaleness;
      if (!merge) this.packetIndices[counted].length = 0;
      for (const packet of placePacketIndices(saved.packetIndices, packetIndexOffset)) addEvidencePacket(this.packetIndices[counted], packet);
    }
    this.duplicates = add(this.duplicates, state.duplicates);
    this.retransmissions = add(this.retransmissions, state.retransmissions);
    this.sequencedDatagrams = add(this.sequencedDatagrams, state.sequencedDatagrams);
    this.authenticatedMessages = add(this.authenticatedMessages, state.authenticatedMessages);
  }

  /** Continues with the same session's detector after a rotation cut: counts add, evidence follows (see {@link ReplayStateSchema} for what a cut hides). */
  continueWith(later: ReplayDetector): void {
    this.loadState(later.saveState(), 0, true);
  }

  finish(_timeline: unknown, events: DetectorEvent[]): void {
    // With authenticated traffic in the session, unauthenticated repeats are handshake
    // datagrams the protocol leaves unauthenticated (connection requests): not replays.
    const useAuthenticated = this.authenticatedMessages > 0;
    const replays = useAuthenticated ? this.counts.authenticated : this.counts.authenticated + this.counts.unauthenticated;
    if (replays === 0) return;
    const edited = useAuthenticated ? this.edited : this.edited + this.unauthenticatedEdited;
    const resent = useAuthenticated ? this.resent : this.resent + this.unauthenticatedResent;
    const stale = useAuthenticated ? this.stale : this.stale + this.unauthenticatedStale;
    let startUs = Number.POSITIVE_INFINITY;
    let endUs = Number.NEGATIVE_INFINITY;
    for (const counted of useAuthenticated ? (["authenticated"] as const) : (["authenticated", "unauthenticated"] as const)) {
      if (Number.isNaN(this.firstUs[counted])) continue;
      startUs = Math.min(startUs, this.firstUs[counted]);
      endUs = Math.max(endUs, this.lastUs[counted]);
    }
    events.push({
      kind: "replay",
      startUs,
      endUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.1 * (replays - 1))),
      summary:
        `${replays} ${useAuthenticated ? "authenticated " : ""}client datagrams reuse or rewind sequence numbers after the session was established: ` +
        `${edited} with a different payload, ${resent} byte-identical re-sends after the duplicate window, ${stale} older than the ${this.options.replayWindow}-packet replay window.`,
      values: {
        replays,
        editedPayload: edited,
        resentIdentical: resent,
        staleSequences: stale,
        maxPacketsBehind: Math.max(this.maxStaleness.authenticated, useAuthenticated ? 0 : this.maxStaleness.unauthenticated),
        networkDuplicates: this.duplicates,
        legitimateRetransmissions: this.retransmissions,
        handshakeRetries: this.counts.handshake,
        unauthenticatedRepeatsIgnored: useAuthenticated ? this.counts.unauthenticated : 0,
      },
      packetIndices: [...this.packetIndices.authenticated, ...(useAuthenticated ? [] : this.packetIndices.unauthenticated)].slice(0, 12),
    });
  }
}
