import { Type, type Static } from "@sinclair/typebox";
import { serialDifference, type GameMessage } from "@tickscope/core";
import { addEvidencePacket, MAX_EVIDENCE_PACKETS, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import {
  CountSchema,
  decodeFloat,
  decodeFloats,
  decodeOptionalSerial,
  decodeSerial,
  EncodedFloatSchema,
  EncodedSerialSchema,
  encodeFloat,
  encodeFloats,
  encodeOptionalSerial,
  encodeSerial,
  EvidencePacketsSchema,
  placePacketIndices,
} from "../state-encoding.js";
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

/**
 * The first datagrams of a sequence space in a pass (its head), up to
 * {@link SLOTS}: what a rotation cut replays against the earlier pass's slots.
 */
interface SpaceHead {
  sequences: Array<number | bigint>;
  /** The message's `sequenceBits`, −1 when absent. */
  bits: number[];
  /** The message verified (MAC/AEAD): its gameplay class once the session is established. */
  authenticated: boolean[];
  packetIndices: number[];
  fingerprints: number[];
  arrivalsUs: number[];
}

interface SequenceSpace {
  slots: Float64Array;
  /** Newest sequence (raw wire value), undefined before the first. */
  newest: number | bigint | undefined;
  bits: number;
  /** 2^{@link bits}, kept with it (no power per message). */
  modulus: number;
  head: SpaceHead;
}

function createSpace(): SequenceSpace {
  const slots = new Float64Array(SLOTS * STRIDE);
  for (let index = 0; index < slots.length; index += STRIDE) slots[index] = Number.NaN;
  return { slots, newest: undefined, bits: 0, modulus: 1, head: { sequences: [], bits: [], authenticated: [], packetIndices: [], fingerprints: [], arrivalsUs: [] } };
}

/** Verdict of {@link judgeSequence}: the datagram's slot was written (a first sighting). */
const STORED = 0;
/** Verdict: another message of the datagram already judged. */
const SAME_DATAGRAM = 1;
/** Verdict: a byte-identical copy within the duplicate window (a network duplicate). */
const DUPLICATE = 2;
/** Verdict: a byte-identical copy after the duplicate window. */
const RESENT = 3;
/** Verdict: the sequence reused with another payload. */
const EDITED = 4;
/** Verdict: older than the replay window (how far: {@link Judgement.behind}). */
const STALE = 5;

/**
 * Scratch of {@link judgeSequence} (no allocation per message): its numeric inputs (fields of
 * one object, not arguments: a number passed to a call that is not inlined is boxed) and its output.
 */
interface Judgement {
  /** Input: the datagram's fingerprint. */
  digest: number;
  /** Input: the datagram's arrival time, µs. */
  arrivalUs: number;
  /** Input: the duplicate window, µs. */
  duplicateWindowUs: number;
  /** Output: how far a stale datagram is behind the newest. */
  behind: number;
}

/** A fresh {@link Judgement} for a duplicate window of `duplicateWindowUs`. */
function createJudgement(duplicateWindowUs: number): Judgement {
  return { digest: Number.NaN, arrivalUs: Number.NaN, duplicateWindowUs, behind: 0 };
}

/**
 * Judges one sequenced datagram against a sequence space and updates the
 * space as the detector does (the slot logic shared by feeding and by a
 * rotation cut's replay). Returns a verdict ({@link STORED} … {@link STALE});
 * a stale datagram's distance is left in `judgement.behind`.
 */
function judgeSequence(
  space: SequenceSpace,
  sequence: number | bigint,
  sequenceBits: number | undefined,
  packetIndex: number,
  replayWindow: number,
  judgement: Judgement,
): number {
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
    if (slots[slot + 2] === packetIndex) return SAME_DATAGRAM;
    // Judge a repeated datagram once, by its first message: later messages of the same
    // datagram share its sequence and must not be compared with the original's first.
    slots[slot + 2] = packetIndex;
    const sameContent = slots[slot + 3] === judgement.digest;
    if (sameContent && judgement.arrivalUs - slots[slot + 4]! <= judgement.duplicateWindowUs) return DUPLICATE;
    return sameContent ? RESENT : EDITED;
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
      behind = sequenceBehind(newest, sequence, bits);
    }
    if (behind > replayWindow) {
      judgement.behind = behind;
      return STALE;
    }
    if (behind < 0) space.newest = sequence;
  } else {
    space.newest = sequence;
  }
  slots[slot] = low;
  slots[slot + 1] = high;
  slots[slot + 2] = packetIndex;
  slots[slot + 3] = judgement.digest;
  slots[slot + 4] = judgement.arrivalUs;
  return STORED;
}

/** Packets `sequence` is behind `newest` (negative: ahead), by the field's width when known. */
function sequenceBehind(newest: number | bigint, sequence: number | bigint, bits: number): number {
  if (bits > 0 && bits <= 64) return -serialDifference(newest, sequence, bits);
  if (typeof newest === "number" && typeof sequence === "number") return newest - sequence;
  return -serialDifference(newest, sequence, 64);
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

/** A sequence space as saved state: filled slots and head as columns. */
function saveSpace(classIndex: number, channel: string | number, space: SequenceSpace): ReplaySpaceState {
  const slotLows: number[] = [];
  const slotHighs: number[] = [];
  const slotPacketIndices: number[] = [];
  const slotFingerprints: number[] = [];
  const slotArrivalsUs: number[] = [];
  const slots = space.slots;
  for (let slot = 0; slot < slots.length; slot += STRIDE) {
    if (Number.isNaN(slots[slot])) continue;
    slotLows.push(slots[slot]!);
    slotHighs.push(slots[slot + 1]!);
    slotPacketIndices.push(slots[slot + 2]!);
    slotFingerprints.push(slots[slot + 3]!);
    slotArrivalsUs.push(slots[slot + 4]!);
  }
  const head = space.head;
  return {
    class: classIndex,
    channel,
    newest: encodeOptionalSerial(space.newest),
    bits: space.bits,
    slotLows,
    slotHighs,
    slotPacketIndices,
    slotFingerprints: encodeFloats(slotFingerprints),
    slotArrivalsUs: encodeFloats(slotArrivalsUs),
    headSequences: head.sequences.map(encodeSerial),
    headBits: [...head.bits],
    headAuthenticated: [...head.authenticated],
    headPacketIndices: [...head.packetIndices],
    headFingerprints: encodeFloats(head.fingerprints),
    headArrivalsUs: encodeFloats(head.arrivalsUs),
  };
}

/** A sequence space from a validated saved one, packet indices moved by `packetIndexOffset`. */
function loadSpace(saved: ReplaySpaceState, packetIndexOffset: number): SequenceSpace {
  const space = createSpace();
  space.newest = decodeOptionalSerial(saved.newest);
  space.bits = saved.bits;
  space.modulus = 2 ** saved.bits;
  const fingerprints = decodeFloats(saved.slotFingerprints);
  const arrivalsUs = decodeFloats(saved.slotArrivalsUs);
  saved.slotLows.forEach((low, index) => {
    const slot = STRIDE * (low & (SLOTS - 1));
    space.slots[slot] = low;
    space.slots[slot + 1] = saved.slotHighs[index]!;
    space.slots[slot + 2] = saved.slotPacketIndices[index]! + packetIndexOffset;
    space.slots[slot + 3] = fingerprints[index]!;
    space.slots[slot + 4] = arrivalsUs[index]!;
  });
  space.head = {
    sequences: saved.headSequences.map(decodeSerial),
    bits: [...saved.headBits],
    authenticated: [...saved.headAuthenticated],
    packetIndices: placePacketIndices(saved.headPacketIndices, packetIndexOffset),
    fingerprints: decodeFloats(saved.headFingerprints),
    arrivalsUs: decodeFloats(saved.headArrivalsUs),
  };
  return space;
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

/** Most slots or head datagrams one saved sequence space holds (the slot window). */
export const MAX_SAVED_SPACE_ENTRIES = SLOTS;

/**
 * One saved sequence space (class × channel): its filled slots (the last
 * datagram seen per slot, as columns) and its head (the pass's first
 * datagrams, as columns), each at most {@link MAX_SAVED_SPACE_ENTRIES}.
 */
export const ReplaySpaceStateSchema = Type.Object({
  /** 0 authenticated, 1 unauthenticated, 2 handshake. */
  class: Type.Integer({ minimum: 0, maximum: 2 }),
  channel: Type.Union([Type.String({ maxLength: 4096 }), Type.Number()]),
  newest: Type.Union([EncodedSerialSchema, Type.Null()]),
  bits: Type.Integer({ minimum: 0, maximum: 64 }),
  /** Low 32 bits of each filled slot's sequence (the slot is its low 8 bits). */
  slotLows: Type.Array(Type.Integer({ minimum: 0, maximum: 0xffffffff }), { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  slotHighs: Type.Array(Type.Integer(), { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  slotPacketIndices: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  slotFingerprints: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  slotArrivalsUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  headSequences: Type.Array(EncodedSerialSchema, { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  /** The datagram's sequence width, −1 when the message gave none. */
  headBits: Type.Array(Type.Integer({ minimum: -1, maximum: 64 }), { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  /** The datagram verified (MAC/AEAD). */
  headAuthenticated: Type.Array(Type.Boolean(), { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  headPacketIndices: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  headFingerprints: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_SPACE_ENTRIES }),
  headArrivalsUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_SPACE_ENTRIES }),
});

/** See {@link ReplaySpaceStateSchema}. */
export type ReplaySpaceState = Static<typeof ReplaySpaceStateSchema>;

/**
 * Saved state of a {@link ReplayDetector}: the repeat counts and evidence the
 * finding is made of, and per sequence space its slots (the last datagram per
 * slot, for a later pass's repeats of this pass's last datagrams) and its
 * head (this pass's first datagrams, replayed against an earlier pass's slots
 * when a rotation cut is merged). A datagram repeated across a cut — its
 * original in one pass, the copy in the next — is then judged as one pass
 * judges it, provided the copy is among the later pass's first
 * {@link MAX_SAVED_SPACE_ENTRIES} datagrams of its space (a copy further in
 * is older than the slot window anyway: one pass would find its slot
 * overwritten, unless that space's sequences stand still).
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
  /** Sequence spaces by class, then in creation order (at most 8). */
  spaces: Type.Array(ReplaySpaceStateSchema, { maxItems: MAX_CHANNELS }),
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

  /** Scratch output of {@link judgeSequence}. */
  private readonly judgement: Judgement;

  constructor(private readonly options: AnticheatOptions) {
    this.judgement = createJudgement(options.duplicateWindowMs * 1000);
  }

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
    const digest = fingerprint(message);
    const head = space.head;
    if (head.sequences.length < SLOTS) {
      head.sequences.push(sequence);
      head.bits.push(roles.sequenceBits ?? -1);
      head.authenticated.push(authenticated === true);
      head.packetIndices.push(message.packetIndex);
      head.fingerprints.push(digest);
      head.arrivalsUs.push(message.tUs);
    }
    const judgement = this.judgement;
    judgement.digest = digest;
    judgement.arrivalUs = message.tUs;
    const verdict = judgeSequence(space, sequence, roles.sequenceBits, message.packetIndex, this.options.replayWindow, judgement);
    if (verdict > SAME_DATAGRAM) this.count(CLASSES[classIndex]!, verdict, judgement.behind, message.tUs, message.packetIndex);
  }

  /** Counts a repeat verdict (the datagram at `packetIndex`, arrived at `arrivalUs`) as one pass does. */
  private count(repeat: RepeatClass, verdict: number, behind: number, arrivalUs: number, packetIndex: number): void {
    if (verdict === DUPLICATE) {
      this.duplicates += 1;
      return;
    }
    if (repeat === "authenticated") {
      if (verdict === RESENT) this.resent += 1;
      else if (verdict === EDITED) this.edited += 1;
      else this.stale += 1;
    } else if (repeat === "unauthenticated") {
      if (verdict === RESENT) this.unauthenticatedResent += 1;
      else if (verdict === EDITED) this.unauthenticatedEdited += 1;
      else this.unauthenticatedStale += 1;
    }
    this.counts[repeat] += 1;
    if (repeat === "handshake") return;
    if (verdict === STALE && behind > this.maxStaleness[repeat]) this.maxStaleness[repeat] = behind;
    if (Number.isNaN(this.firstUs[repeat])) this.firstUs[repeat] = arrivalUs;
    this.lastUs[repeat] = arrivalUs;
    addEvidencePacket(this.packetIndices[repeat], packetIndex);
  }

  /**
   * Takes back a verdict {@link count} made for a datagram of this pass's head
   * that one pass judges otherwise (a rotation cut's replay): counts and its
   * evidence packet go; first/last repeat times and the largest staleness
   * stay (kept as this pass saw them).
   */
  private uncount(repeat: RepeatClass, verdict: number, packetIndex: number): void {
    if (verdict === DUPLICATE) {
      this.duplicates -= 1;
      return;
    }
    if (repeat === "authenticated") {
      if (verdict === RESENT) this.resent -= 1;
      else if (verdict === EDITED) this.edited -= 1;
      else this.stale -= 1;
    } else if (repeat === "unauthenticated") {
      if (verdict === RESENT) this.unauthenticatedResent -= 1;
      else if (verdict === EDITED) this.unauthenticatedEdited -= 1;
      else this.unauthenticatedStale -= 1;
    }
    this.counts[repeat] -= 1;
    if (repeat === "handshake") return;
    const evidence = this.packetIndices[repeat];
    const at = evidence.indexOf(packetIndex);
    if (at >= 0) evidence.splice(at, 1);
  }

  /**
   * Counts a verdict one pass makes for a datagram of this pass's head (a
   * rotation cut's replay, before this pass's counts join the earlier
   * pass's): its evidence packet takes its place in packet order.
   */
  private countHead(repeat: RepeatClass, verdict: number, behind: number, arrivalUs: number, packetIndex: number): void {
    if (verdict === DUPLICATE || repeat === "handshake") {
      this.count(repeat, verdict, behind, arrivalUs, packetIndex);
      return;
    }
    const firstUs = this.firstUs[repeat];
    const lastUs = this.lastUs[repeat];
    const evidence = [...this.packetIndices[repeat]];
    this.packetIndices[repeat].length = 0;
    this.count(repeat, verdict, behind, arrivalUs, packetIndex);
    if (!Number.isNaN(firstUs)) {
      this.firstUs[repeat] = Math.min(firstUs, arrivalUs);
      this.lastUs[repeat] = Math.max(lastUs, arrivalUs);
    }
    const merged = this.packetIndices[repeat];
    merged.length = 0;
    let inserted = false;
    for (const packet of evidence) {
      if (!inserted && packetIndex < packet) {
        merged.push(packetIndex);
        inserted = true;
      }
      if (packet !== packetIndex) merged.push(packet);
    }
    if (!inserted && !evidence.includes(packetIndex)) merged.push(packetIndex);
    merged.length = Math.min(merged.length, MAX_EVIDENCE_PACKETS);
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
    const spaces: ReplaySpaceState[] = [];
    this.spaces.forEach((byChannel, classIndex) => {
      for (const [channel, space] of byChannel ?? []) spaces.push(saveSpace(classIndex, channel, space));
    });
    return {
      repeats: [this.counts.authenticated, this.counts.unauthenticated, this.counts.handshake],
      authenticated: saveClass("authenticated", this.edited, this.resent, this.stale),
      unauthenticated: saveClass("unauthenticated", this.unauthenticatedEdited, this.unauthenticatedResent, this.unauthenticatedStale),
      duplicates: this.duplicates,
      retransmissions: this.retransmissions,
      sequencedDatagrams: this.sequencedDatagrams,
      authenticatedMessages: this.authenticatedMessages,
      spaces,
    };
  }

  /**
   * What the schema cannot say about a saved state: columns of equal lengths,
   * filled slots in distinct slots, one space per class and channel, integer
   * head sequences. The reason of the first problem, undefined when it fits.
   */
  static stateProblem(state: ReplayState): string | undefined {
    const seen = new Set<string>();
    for (const [index, space] of state.spaces.entries()) {
      const key = `${space.class}:${typeof space.channel}:${String(space.channel)}`;
      if (seen.has(key)) return `spaces/${index} repeats class ${space.class} channel ${JSON.stringify(space.channel)}`;
      seen.add(key);
      const slots = space.slotLows.length;
      if (space.slotHighs.length !== slots || space.slotPacketIndices.length !== slots || space.slotFingerprints.length !== slots || space.slotArrivalsUs.length !== slots) {
        return `spaces/${index} has slot columns of unequal lengths`;
      }
      const used = new Set<number>();
      for (const low of space.slotLows) {
        if (used.has(low & (SLOTS - 1))) return `spaces/${index} holds two sequences for slot ${low & (SLOTS - 1)}`;
        used.add(low & (SLOTS - 1));
      }
      const heads = space.headSequences.length;
      if (space.headBits.length !== heads || space.headAuthenticated.length !== heads || space.headPacketIndices.length !== heads || space.headFingerprints.length !== heads || space.headArrivalsUs.length !== heads) {
        return `spaces/${index} has head columns of unequal lengths`;
      }
      for (const sequence of [...space.headSequences, ...(space.newest === null ? [] : [space.newest])]) {
        if (typeof sequence === "number" ? !Number.isInteger(sequence) : sequence === "NaN" || sequence === "Infinity" || sequence === "-Infinity") {
          return `spaces/${index} holds sequence ${JSON.stringify(sequence)}, not an integer`;
        }
      }
    }
    return undefined;
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
    if (merge) return;
    this.spaces.fill(undefined);
    this.spaceCount = 0;
    this.forgetLastSpace();
    for (const saved of state.spaces) {
      if (this.spaceCount >= MAX_CHANNELS) break;
      (this.spaces[saved.class] ??= new Map()).set(saved.channel, loadSpace(saved, packetIndexOffset));
      this.spaceCount += 1;
    }
  }

  private forgetLastSpace(): void {
    this.lastClass = -1;
    this.lastChannel = undefined;
    this.lastSpace = undefined;
  }

  /**
   * Continues with the same session's detector after a rotation cut. The
   * later pass's heads (its first datagrams per sequence space) are replayed
   * against this pass's slots in packet order: a copy of a datagram on this
   * side of the cut is a repeat, as one pass finds it, and the later pass's
   * own verdict for that datagram (a first sighting) is replaced. When this
   * pass had seen the server (`established`), the later pass's datagrams
   * before its own first server packet — handshake there — are judged in the
   * gameplay spaces, as one pass judges them. Then counts add and evidence
   * follows. A space continues with the slots the later pass wrote after its
   * head (the replayed ones elsewhere). Not replayed: datagrams past a head
   * (a later pass's first {@link SLOTS} per space), spaces beyond the eighth.
   */
  continueWith(later: ReplayDetector, established = true): void {
    const duplicateWindowUs = this.options.duplicateWindowMs * 1000;
    const replayWindow = this.options.replayWindow;
    const joined = createJudgement(duplicateWindowUs);
    const alone = createJudgement(duplicateWindowUs);
    // Per counted class: the later pass's repeats before the replay, the head's alone and joined repeat times.
    const before = { authenticated: later.counts.authenticated, unauthenticated: later.counts.unauthenticated };
    const aloneMarks = { authenticated: 0, unauthenticated: 0 };
    const joinedUs = { authenticated: [] as number[], unauthenticated: [] as number[] };
    const changed = { authenticated: false, unauthenticated: false };
    // What each of this pass's spaces replays: later heads (and the space the later pass judged them in), by target.
    const targets = new Map<SequenceSpace, { classIndex: number; sources: Array<{ space: SequenceSpace; classIndex: number; indices: number[]; overlay: boolean }> }>();
    const targetOf = (classIndex: number, channel: string | number): SequenceSpace | undefined => {
      let space = this.spaces[classIndex]?.get(channel);
      if (space === undefined && this.spaceCount < MAX_CHANNELS) {
        space = createSpace();
        (this.spaces[classIndex] ??= new Map()).set(channel, space);
        this.spaceCount += 1;
      }
      if (space !== undefined && !targets.has(space)) targets.set(space, { classIndex, sources: [] });
      return space;
    };
    // Handshake spaces first: a gameplay space they feed is replayed (not adopted) even when new to the merge.
    for (const classIndex of [2, 0, 1]) {
      for (const [channel, laterSpace] of later.spaces[classIndex] ?? []) {
        const head = laterSpace.head;
        if (classIndex === 2 && established) {
          // Handshake in the later pass only: one pass had seen the server and judged them as gameplay.
          const byTarget = new Map<SequenceSpace, number[]>();
          for (let index = 0; index < head.sequences.length; index++) {
            const target = targetOf(head.authenticated[index] ? 0 : 1, channel);
            if (target === undefined) continue;
            if (!byTarget.has(target)) byTarget.set(target, []);
            byTarget.get(target)!.push(index);
          }
          // Its slots past the head follow into its target when all of its head went to one.
          for (const [target, indices] of byTarget) targets.get(target)!.sources.push({ space: laterSpace, classIndex, indices, overlay: byTarget.size === 1 });
          continue;
        }
        if (this.spaces[classIndex]?.get(channel) === undefined && this.spaceCount < MAX_CHANNELS) {
          // New to the merge: the later pass judged it from its start, as one pass does.
          (this.spaces[classIndex] ??= new Map()).set(channel, laterSpace);
          this.spaceCount += 1;
          continue;
        }
        const target = targetOf(classIndex, channel);
        if (target !== undefined) targets.get(target)!.sources.push({ space: laterSpace, classIndex, indices: head.sequences.map((_, index) => index), overlay: true });
      }
    }
    for (const [space, { classIndex, sources }] of targets) {
      const repeat = CLASSES[classIndex]!;
      // The heads in packet order (each source is in it already), each judged alone in a fresh copy of its own space.
      const order: Array<{ source: number; index: number }> = [];
      sources.forEach((source, sourceIndex) => source.indices.forEach((index) => order.push({ source: sourceIndex, index })));
      order.sort((left, right) => sources[left.source]!.space.head.packetIndices[left.index]! - sources[right.source]!.space.head.packetIndices[right.index]! || left.source - right.source);
      const fresh = sources.map(() => createSpace());
      for (const { source, index } of order) {
        const head = sources[source]!.space.head;
        const aloneRepeat = CLASSES[sources[source]!.classIndex]!;
        const sequence = head.sequences[index]!;
        const bits = head.bits[index]! < 0 ? undefined : head.bits[index]!;
        const packetIndex = head.packetIndices[index]!;
        const digest = head.fingerprints[index]!;
        const arrivalUs = head.arrivalsUs[index]!;
        joined.digest = digest;
        joined.arrivalUs = arrivalUs;
        alone.digest = digest;
        alone.arrivalUs = arrivalUs;
        const verdictJoined = judgeSequence(space, sequence, bits, packetIndex, replayWindow, joined);
        const verdictAlone = judgeSequence(fresh[source]!, sequence, bits, packetIndex, replayWindow, alone);
        const behindJoined = verdictJoined === STALE ? joined.behind : 0;
        const behindAlone = verdictAlone === STALE ? alone.behind : 0;
        if (verdictAlone > DUPLICATE && aloneRepeat !== "handshake") aloneMarks[aloneRepeat] += 1;
        if (verdictJoined > DUPLICATE && repeat !== "handshake") joinedUs[repeat].push(arrivalUs);
        if (verdictJoined === verdictAlone && behindJoined === behindAlone && repeat === aloneRepeat) continue;
        if (repeat !== "handshake") changed[repeat] = true;
        if (verdictAlone > SAME_DATAGRAM) later.uncount(aloneRepeat, verdictAlone, packetIndex);
        if (verdictJoined > SAME_DATAGRAM) later.countHead(repeat, verdictJoined, behindJoined, arrivalUs, packetIndex);
      }
      sources.forEach(({ space: laterSpace, overlay }, sourceIndex) => {
        if (!overlay) return;
        // Slots the later pass changed after its head hold its later datagrams; the others stay as replayed.
        const replayed = fresh[sourceIndex]!;
        for (let slot = 0; slot < laterSpace.slots.length; slot += STRIDE) {
          let differs = false;
          for (let field = 0; field < STRIDE; field++) {
            if (!Object.is(laterSpace.slots[slot + field], replayed.slots[slot + field])) differs = true;
          }
          if (differs) space.slots.set(laterSpace.slots.subarray(slot, slot + STRIDE), slot);
        }
        if (laterSpace.newest !== replayed.newest) space.newest = laterSpace.newest;
        if (laterSpace.bits !== replayed.bits) {
          space.bits = laterSpace.bits;
          space.modulus = laterSpace.modulus;
        }
      });
      const merged = space.head;
      for (const { source, index } of order) {
        if (merged.sequences.length >= SLOTS) break;
        const head = sources[source]!.space.head;
        merged.sequences.push(head.sequences[index]!);
        merged.bits.push(head.bits[index]!);
        merged.authenticated.push(head.authenticated[index]!);
        merged.packetIndices.push(head.packetIndices[index]!);
        merged.fingerprints.push(head.fingerprints[index]!);
        merged.arrivalsUs.push(head.arrivalsUs[index]!);
      }
    }
    for (const counted of ["authenticated", "unauthenticated"] as const) {
      // Every repeat of the later pass was in its heads: its first and last repeat times are the replayed ones.
      if (!changed[counted] || aloneMarks[counted] !== before[counted]) continue;
      const times = joinedUs[counted];
      later.firstUs[counted] = times.length === 0 ? Number.NaN : Math.min(...times);
      later.lastUs[counted] = times.length === 0 ? Number.NaN : Math.max(...times);
    }
    this.forgetLastSpace();
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
