import { Type, type Static } from "@sinclair/typebox";
import { serialResidue, type GameMessage, type SerialNumber } from "@tickscope/core";
import type { AnticheatOptions } from "./options.js";
import { NumberRing } from "./ring-buffer.js";
import { CountSchema, decodeFloat, decodeFloats, EncodedFloatSchema, encodeFloat, encodeFloats } from "./state-encoding.js";

const WINDOW_US = 1_000_000;
const OFFSET_WINDOWS = 16;
const MAX_PENDING_ECHOES = 32;
const RTT_SAMPLES = 128;
const SERVER_SEQUENCE_SLOTS = 256;
const ACK_SAMPLE_MAX_AGE_US = 30_000;
/** Server datagram send times kept in capture order (for the oldest datagram an ack newly covers). */
const SERVER_ORDER_SLOTS = 256;

/** Largest speedhack window a saved state may carry (the option's envelope points). */
export const MAX_SAVED_ENVELOPE_POINTS = 4096;

/** Saved state of one RTT source: its samples (oldest first), running average and count. */
const RttKindStateSchema = Type.Object({
  samples: Type.Array(EncodedFloatSchema, { maxItems: RTT_SAMPLES }),
  average: EncodedFloatSchema,
  count: CountSchema,
});

/**
 * Saved state of a {@link SessionTimeline}: what the end-of-capture checks
 * and a rotation cut need (counts, the clock envelope and offset, the RTT
 * samples of each source). Echo requests still waiting for their reply, the
 * recent server sequences (ack timing: the lag-switch detector resolves the
 * one it still needs when it saves) and the capture-order history of server
 * datagrams are not saved: a restored timeline is finished, not fed.
 */
export const SessionTimelineStateSchema = Type.Object({
  player: Type.String({ maxLength: 1024 }),
  clientMessages: CountSchema,
  serverDatagrams: CountSchema,
  serverPackets: CountSchema,
  firstUs: EncodedFloatSchema,
  lastUs: EncodedFloatSchema,
  envelopeArrivalUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_ENVELOPE_POINTS }),
  envelopeClaimedUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_ENVELOPE_POINTS }),
  windowMinDelayUs: Type.Array(EncodedFloatSchema, { maxItems: OFFSET_WINDOWS }),
  windowIndex: EncodedFloatSchema,
  windowBestDelayUs: EncodedFloatSchema,
  windowBestArrivalUs: EncodedFloatSchema,
  windowBestClaimedUs: EncodedFloatSchema,
  offsetUs: EncodedFloatSchema,
  /** Server-asked echoes, client-asked echoes, acknowledgements. */
  rttSources: Type.Array(RttKindStateSchema, { minItems: 3, maxItems: 3 }),
  lastRttMs: EncodedFloatSchema,
  smoothedRttMs: EncodedFloatSchema,
  rttSerial: CountSchema,
  lastWireRttMs: EncodedFloatSchema,
  wireRttSerial: CountSchema,
  serverClockOffsetUs: EncodedFloatSchema,
  /** Server sequences sent since shortly before the client's last datagram: [slot, sequence residue, capture µs] (what acks after a rotation cut may name). */
  recentServerSequences: Type.Array(Type.Tuple([Type.Integer({ minimum: 0, maximum: SERVER_SEQUENCE_SLOTS - 1 }), Type.Number(), Type.Number()]), {
    maxItems: SERVER_SEQUENCE_SLOTS,
  }),
  serialBeforeEcho: Type.Integer({ minimum: -1 }),
  closedWindows: CountSchema,
  headFirstIndex: EncodedFloatSchema,
  headArrivalUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_ENVELOPE_POINTS }),
  headClaimedUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_SAVED_ENVELOPE_POINTS }),
});

/** See {@link SessionTimelineStateSchema}. */
export type SessionTimelineState = Static<typeof SessionTimelineStateSchema>;

function saveRttKind(kind: RttKind): Static<typeof RttKindStateSchema> {
  return { samples: encodeFloats(kind.samples.toArray()), average: encodeFloat(kind.average), count: kind.count };
}

function loadRttKind(kind: RttKind, state: Static<typeof RttKindStateSchema>): void {
  for (const value of state.samples) kind.samples.push(decodeFloat(value));
  kind.average = decodeFloat(state.average);
  kind.count = state.count;
}

/** One source of RTT samples (bounded ring + running average). */
class RttKind {
  readonly samples = new NumberRing(RTT_SAMPLES);
  average = Number.NaN;
  count = 0;

  add(rttMs: number): void {
    this.samples.push(rttMs);
    this.count += 1;
    this.average = Number.isNaN(this.average) ? rttMs : this.average + (rttMs - this.average) / 8;
  }
}

/** An empty server sequence table of a {@link SessionTimeline}: key and capture time per slot, keys NaN. */
function createServerSequences(): Float64Array {
  const sequences = new Float64Array(2 * SERVER_SEQUENCE_SLOTS);
  for (let slot = 0; slot < SERVER_SEQUENCE_SLOTS; slot++) sequences[2 * slot] = Number.NaN;
  return sequences;
}

/**
 * Shared per-session state every detector reads: the client's claimed clock
 * against arrival time (lower envelope per second, so queueing does not bias
 * it), RTT measured from echo pairs, and the server's packet count (to tell
 * one-way from two-way outages through acks). Memory is fixed per session.
 */
export class SessionTimeline {
  /** Player label (session label, `playerId` role, or the session id). */
  player: string;
  /** Client messages seen. */
  clientMessages = 0;
  /** Server datagrams seen (distinct packet indices, server to client). */
  serverDatagrams = 0;
  /** Server-to-client datagrams seen by `onPacket`, decoded or not (the server answered the session). */
  serverPackets = 0;
  /** First and last time seen, µs. */
  firstUs = Number.NaN;
  lastUs = Number.NaN;
  /** Lower-envelope points, one per closed one-second window: arrival µs and claimed µs. */
  readonly envelopeArrivalUs: NumberRing;
  readonly envelopeClaimedUs: NumberRing;
  /** Minimum (arrival − claimed) per closed window, for the clock offset. */
  private readonly windowMinDelay = new NumberRing(OFFSET_WINDOWS);
  private windowIndex = Number.NaN;
  private windowBestDelay = Number.POSITIVE_INFINITY;
  private windowBestArrival = 0;
  private windowBestClaimed = 0;
  private offsetUs = Number.NaN;
  /** RTTs of echoes the server asked for (true RTT when captured at the server). */
  private readonly serverAsked = new RttKind();
  /** RTTs of echoes the client asked for (true RTT when captured at the client). */
  private readonly clientAsked = new RttKind();
  /** Server datagram → first client message acknowledging it (true RTT + client send wait, at the server). */
  private readonly acknowledged = new RttKind();
  private lastClientAck: SerialNumber | undefined;
  /** Latest measured RTT of the preferred kind, ms (NaN before the first). */
  lastRttMs = Number.NaN;
  /** Exponentially smoothed RTT of the preferred kind (gain 1/8, as TCP's SRTT), ms. */
  smoothedRttMs = Number.NaN;
  /** Increments with every RTT sample of the preferred kind. */
  rttSerial = 0;
  /**
   * Latest RTT seen on the wire, ms: every sample of the preferred kind, and (acks preferred)
   * also the acks of queued client messages, which {@link lastRttMs} leaves out because a held
   * message acknowledges late — but a real latency spike delays them on the network too, and
   * this is where it shows (the fake-latency detector's smoothing credit).
   */
  lastWireRttMs = Number.NaN;
  /** Increments with every {@link lastWireRttMs} sample. */
  wireRttSerial = 0;
  /**
   * With acks, {@link lastWireRttMs} is the RTT of the *oldest* server datagram the new ack
   * covers (capture time of the ack − its send time), not of the largest as RFC 9002 samples:
   * after a downstream stall the client acknowledges the newest datagram of the released burst,
   * whose RTT is short, but the datagrams sent during the stall waited the whole stall — as did a
   * ping the client sent then, which is what the client's own (reported) RTT measured.
   */
  private lastAckSentUs = Number.NaN;
  private readonly serverOrderUs = new Float64Array(SERVER_ORDER_SLOTS);
  private serverOrderCount = 0;
  private readonly pendingEchoes = new Map<string, number>();
  private lastServerPacketIndex = -1;
  /**
   * Recent server datagrams by sequence residue: per slot its key (the residue, NaN: empty) and
   * its capture time, µs, side by side (a lookup by ack touches one cache line, not one per array).
   */
  private readonly serverSequences = createServerSequences();
  /** {@link rttSerial} when the first echo sample came (−1 before): the ack samples counted before any echo existed. */
  private serialBeforeEcho = -1;
  /** One-second envelope windows closed so far. */
  private closedWindows = 0;
  /** Index of the first closed window, and the first (speedhack window − 1) closed points: what a rotation cut replays. */
  private headFirstIndex = Number.NaN;
  private readonly headArrivalUs: number[] = [];
  private readonly headClaimedUs: number[] = [];
  /** Callback run when a one-second envelope window closes (speedhack detector). */
  onWindowClosed: (() => void) | undefined;

  constructor(
    readonly sessionId: string,
    private readonly options: AnticheatOptions,
  ) {
    this.player = sessionId;
    this.envelopeArrivalUs = new NumberRing(options.speedhackWindowPoints);
    this.envelopeClaimedUs = new NumberRing(options.speedhackWindowPoints);
  }

  /** The client's claimed time of a message: `sendTime`, else `tick` × tick length, else undefined. */
  claimedUs(message: GameMessage): number | undefined {
    const roles = message.roles;
    if (roles.sendTimeUs !== undefined) return roles.sendTimeUs;
    // Ticks arrive unwrapped (core's RoleUnwrapper): a plain monotonic number.
    if (roles.tick !== undefined) return Number(roles.tick) * this.options.tickIntervalUs;
    return undefined;
  }

  /** Estimated clock offset (arrival − claimed at zero queueing), µs; NaN until known. */
  get clockOffsetUs(): number {
    return this.offsetUs;
  }

  /** How long a message waited beyond the fastest path (queueing + holding), µs; NaN until the offset is known. */
  ageUs(arrivalUs: number, claimedUs: number): number {
    return arrivalUs - claimedUs - this.offsetUs;
  }

  /** Updates time bounds. */
  touch(tUs: number): void {
    if (!(this.firstUs <= tUs)) this.firstUs = Number.isNaN(this.firstUs) ? tUs : Math.min(this.firstUs, tUs);
    if (!(this.lastUs >= tUs)) this.lastUs = tUs;
  }

  /** Feeds a client-to-server message (before the detectors see it). */
  observeClient(message: GameMessage, claimedUs: number | undefined): void {
    this.clientMessages += 1;
    if (message.roles.playerId !== undefined && this.player === this.sessionId) this.player = String(message.roles.playerId);
    this.observeEcho(message);
    const ack = message.roles.ack;
    if (ack !== undefined && ack !== this.lastClientAck) {
      this.lastClientAck = ack;
      const sentUs = this.serverDatagramTimeUs(ack);
      if (!Number.isNaN(sentUs)) {
        const rttMs = (message.tUs - sentUs) / 1000;
        const oldestUs = this.oldestServerSendAfter(this.lastAckSentUs, sentUs);
        if (!(sentUs <= this.lastAckSentUs)) this.lastAckSentUs = sentUs;
        const wireMs = (message.tUs - oldestUs) / 1000;
        // Only messages sent without queueing (a held or buffered message acknowledges late).
        if (claimedUs === undefined || !(this.ageUs(message.tUs, claimedUs) > ACK_SAMPLE_MAX_AGE_US)) this.addRtt(this.acknowledged, rttMs, wireMs);
        else if (rttMs >= 0 && this.preferred() === this.acknowledged) this.addWireRtt(wireMs);
      }
    }
    if (claimedUs === undefined) return;
    const tUs = message.tUs;
    const index = Math.floor(tUs / WINDOW_US);
    if (index !== this.windowIndex) {
      this.closeWindow();
      this.windowIndex = index;
    }
    const delay = tUs - claimedUs;
    if (delay < this.windowBestDelay) {
      this.windowBestDelay = delay;
      this.windowBestArrival = tUs;
      this.windowBestClaimed = claimedUs;
      if (!(delay >= this.offsetUs)) this.offsetUs = delay;
    }
  }

  /** Capture time − server clock (`sendTime` of server messages), lowest seen, µs; NaN when unknown. */
  serverClockOffsetUs = Number.NaN;

  /** Feeds a server-to-client message. */
  observeServer(message: GameMessage): void {
    const serverClockUs = message.roles.sendTimeUs;
    if (serverClockUs !== undefined && !(message.tUs - serverClockUs >= this.serverClockOffsetUs)) this.serverClockOffsetUs = message.tUs - serverClockUs;
    if (message.packetIndex !== this.lastServerPacketIndex) {
      this.lastServerPacketIndex = message.packetIndex;
      this.serverDatagrams += 1;
      const sequence = message.roles.sequence;
      this.serverOrderUs[this.serverOrderCount % SERVER_ORDER_SLOTS] = message.tUs;
      this.serverOrderCount += 1;
      if (sequence !== undefined) {
        // Exact residue as the key: a u64 sequence near 2^63 is a bigint, never a rounded float.
        const key = serialResidue(sequence);
        const slot = key % SERVER_SEQUENCE_SLOTS;
        this.serverSequences[2 * slot] = key;
        this.serverSequences[2 * slot + 1] = message.tUs;
      }
    }
    this.observeEcho(message);
  }

  private observeEcho(message: GameMessage): void {
    const key = message.roles.echoKey;
    if (key === undefined) return;
    const phaseKey = message.direction === "clientToServer" ? "c" : "s";
    if (message.roles.echoPhase === "reply") {
      const requestKey = (phaseKey === "c" ? "s" : "c") + key;
      const requestUs = this.pendingEchoes.get(requestKey);
      if (requestUs === undefined) return;
      this.pendingEchoes.delete(requestKey);
      this.addRtt(phaseKey === "c" ? this.serverAsked : this.clientAsked, (message.tUs - requestUs) / 1000);
      return;
    }
    if (this.pendingEchoes.size >= MAX_PENDING_ECHOES) {
      const oldest = this.pendingEchoes.keys().next().value as string;
      this.pendingEchoes.delete(oldest);
    }
    this.pendingEchoes.set(phaseKey + key, message.tUs);
  }

  /** Capture time of the server datagram with this sequence (recent ones only), NaN when unknown. */
  serverDatagramTimeUs(sequence: SerialNumber): number {
    const key = serialResidue(sequence);
    const slot = key % SERVER_SEQUENCE_SLOTS;
    const sequences = this.serverSequences;
    return sequences[2 * slot] === key ? sequences[2 * slot + 1]! : Number.NaN;
  }

  /**
   * The RTT source that sees the real RTT. The side near the capture point
   * measures real RTTs for its own echo requests and only the peer's processing
   * time for the peer's, so of the two echo kinds the larger wins; when echoes
   * look like processing time only (or there are none), acknowledgement timing
   * is used.
   */
  private preferred(): RttKind {
    const { serverAsked, clientAsked, acknowledged } = this;
    let echo: RttKind | undefined;
    if (serverAsked.count > 0 && clientAsked.count > 0) echo = serverAsked.average >= clientAsked.average ? serverAsked : clientAsked;
    else if (serverAsked.count > 0) echo = serverAsked;
    else if (clientAsked.count > 0) echo = clientAsked;
    if (echo === undefined || (acknowledged.count > 0 && echo.average < 0.5 * acknowledged.average)) return acknowledged;
    return echo;
  }

  /**
   * Send time of the oldest server datagram sent after `afterUs` and at or before `sentUs` (the
   * oldest one a new ack of the datagram sent at `sentUs` covers), from the recent ones in
   * capture order; `sentUs` when none is known (first ack, or older than the kept history).
   */
  private oldestServerSendAfter(afterUs: number, sentUs: number): number {
    if (!(afterUs < sentUs)) return sentUs;
    const count = Math.min(this.serverOrderCount, SERVER_ORDER_SLOTS);
    let oldest = sentUs;
    for (let back = 1; back <= count; back++) {
      const tUs = this.serverOrderUs[(this.serverOrderCount - back) % SERVER_ORDER_SLOTS]!;
      if (tUs <= afterUs) break;
      if (tUs < oldest) oldest = tUs;
    }
    return oldest;
  }

  private addRtt(kind: RttKind, rttMs: number, wireMs = rttMs): void {
    if (!(rttMs >= 0)) return;
    if (this.serialBeforeEcho < 0 && kind !== this.acknowledged) this.serialBeforeEcho = this.rttSerial;
    kind.add(rttMs);
    if (this.preferred() !== kind) return;
    this.lastRttMs = rttMs;
    this.addWireRtt(wireMs >= rttMs ? wireMs : rttMs);
    this.smoothedRttMs = Number.isNaN(this.smoothedRttMs) ? rttMs : this.smoothedRttMs + (rttMs - this.smoothedRttMs) / 8;
    this.rttSerial += 1;
  }

  private addWireRtt(rttMs: number): void {
    this.lastWireRttMs = rttMs;
    this.wireRttSerial += 1;
  }

  /** Median of the last (up to) 16 RTT samples of the preferred kind, ms; NaN before the first. Robust to one stalled echo. */
  recentRttMs(): number {
    const ring = this.measuredRttMs;
    const count = Math.min(16, ring.length);
    if (count === 0) return Number.NaN;
    const values: number[] = [];
    for (let index = ring.length - count; index < ring.length; index++) values.push(ring.at(index));
    values.sort((a, b) => a - b);
    return values[count >> 1]!;
  }

  /** Measured RTT samples (ms) of the preferred kind, newest kept. */
  get measuredRttMs(): NumberRing {
    return this.preferred().samples;
  }

  private closeWindow(): void {
    if (this.windowBestDelay === Number.POSITIVE_INFINITY) return;
    if (this.closedWindows < this.options.speedhackWindowPoints - 1) {
      if (this.closedWindows === 0) this.headFirstIndex = this.windowIndex;
      this.headArrivalUs.push(this.windowBestArrival);
      this.headClaimedUs.push(this.windowBestClaimed);
    }
    this.closedWindows += 1;
    this.envelopeArrivalUs.push(this.windowBestArrival);
    this.envelopeClaimedUs.push(this.windowBestClaimed);
    this.windowMinDelay.push(this.windowBestDelay);
    let offset = this.windowBestDelay;
    for (let index = 0; index < this.windowMinDelay.length; index++) offset = Math.min(offset, this.windowMinDelay.at(index));
    this.offsetUs = offset;
    this.windowBestDelay = Number.POSITIVE_INFINITY;
    this.onWindowClosed?.();
  }

  /** Closes the open window (end of capture). */
  flush(): void {
    this.closeWindow();
  }

  /**
   * The state as plain data (see {@link SessionTimelineStateSchema}); the timeline is unchanged.
   * Server sequences sent at or after `recentFromUs` are kept (a silence open at a rotation cut
   * is judged on the acks of the datagrams after it).
   */
  saveState(recentFromUs = Number.NaN): SessionTimelineState {
    const recentServerSequences: Array<[number, number, number]> = [];
    for (let slot = 0; slot < SERVER_SEQUENCE_SLOTS; slot++) {
      const key = this.serverSequences[2 * slot]!;
      const sentUs = this.serverSequences[2 * slot + 1]!;
      if (!Number.isNaN(key) && sentUs >= recentFromUs) recentServerSequences.push([slot, key, sentUs]);
    }
    return {
      recentServerSequences,
      player: this.player,
      clientMessages: this.clientMessages,
      serverDatagrams: this.serverDatagrams,
      serverPackets: this.serverPackets,
      firstUs: encodeFloat(this.firstUs),
      lastUs: encodeFloat(this.lastUs),
      envelopeArrivalUs: encodeFloats(this.envelopeArrivalUs.toArray()),
      envelopeClaimedUs: encodeFloats(this.envelopeClaimedUs.toArray()),
      windowMinDelayUs: encodeFloats(this.windowMinDelay.toArray()),
      windowIndex: encodeFloat(this.windowIndex),
      windowBestDelayUs: encodeFloat(this.windowBestDelay),
      windowBestArrivalUs: encodeFloat(this.windowBestArrival),
      windowBestClaimedUs: encodeFloat(this.windowBestClaimed),
      offsetUs: encodeFloat(this.offsetUs),
      rttSources: [saveRttKind(this.serverAsked), saveRttKind(this.clientAsked), saveRttKind(this.acknowledged)],
      lastRttMs: encodeFloat(this.lastRttMs),
      smoothedRttMs: encodeFloat(this.smoothedRttMs),
      rttSerial: this.rttSerial,
      lastWireRttMs: encodeFloat(this.lastWireRttMs),
      wireRttSerial: this.wireRttSerial,
      serverClockOffsetUs: encodeFloat(this.serverClockOffsetUs),
      serialBeforeEcho: this.serialBeforeEcho,
      closedWindows: this.closedWindows,
      headFirstIndex: encodeFloat(this.headFirstIndex),
      headArrivalUs: encodeFloats(this.headArrivalUs),
      headClaimedUs: encodeFloats(this.headClaimedUs),
    };
  }

  /** True when a saved state fits this timeline's options (envelope no longer than the speedhack window). */
  stateFits(state: SessionTimelineState): boolean {
    const points = this.options.speedhackWindowPoints;
    return (
      state.envelopeArrivalUs.length === state.envelopeClaimedUs.length &&
      state.envelopeArrivalUs.length <= points &&
      state.headArrivalUs.length === state.headClaimedUs.length &&
      state.headArrivalUs.length <= points - 1 &&
      state.headArrivalUs.length <= state.closedWindows
    );
  }

  /** Replaces this (fresh) timeline's state by a validated saved one. */
  loadState(state: SessionTimelineState): void {
    this.player = state.player;
    this.clientMessages = state.clientMessages;
    this.serverDatagrams = state.serverDatagrams;
    this.serverPackets = state.serverPackets;
    this.firstUs = decodeFloat(state.firstUs);
    this.lastUs = decodeFloat(state.lastUs);
    for (const value of decodeFloats(state.envelopeArrivalUs)) this.envelopeArrivalUs.push(value);
    for (const value of decodeFloats(state.envelopeClaimedUs)) this.envelopeClaimedUs.push(value);
    for (const value of decodeFloats(state.windowMinDelayUs)) this.windowMinDelay.push(value);
    this.windowIndex = decodeFloat(state.windowIndex);
    this.windowBestDelay = decodeFloat(state.windowBestDelayUs);
    this.windowBestArrival = decodeFloat(state.windowBestArrivalUs);
    this.windowBestClaimed = decodeFloat(state.windowBestClaimedUs);
    this.offsetUs = decodeFloat(state.offsetUs);
    loadRttKind(this.serverAsked, state.rttSources[0]!);
    loadRttKind(this.clientAsked, state.rttSources[1]!);
    loadRttKind(this.acknowledged, state.rttSources[2]!);
    this.lastRttMs = decodeFloat(state.lastRttMs);
    this.smoothedRttMs = decodeFloat(state.smoothedRttMs);
    this.rttSerial = state.rttSerial;
    this.lastWireRttMs = decodeFloat(state.lastWireRttMs);
    this.wireRttSerial = state.wireRttSerial;
    this.serverClockOffsetUs = decodeFloat(state.serverClockOffsetUs);
    for (const [slot, key, sentUs] of state.recentServerSequences) {
      this.serverSequences[2 * slot] = key;
      this.serverSequences[2 * slot + 1] = sentUs;
    }
    this.serialBeforeEcho = state.serialBeforeEcho;
    this.closedWindows = state.closedWindows;
    this.headFirstIndex = decodeFloat(state.headFirstIndex);
    this.headArrivalUs.push(...decodeFloats(state.headArrivalUs));
    this.headClaimedUs.push(...decodeFloats(state.headClaimedUs));
  }

  /**
   * Continues this timeline (the pass before a rotation cut) with `later` (the
   * same session after it). Counts add; the first player label seen is kept.
   * The one-second envelope windows continue as in one pass: a window the cut
   * fell into becomes one point (the faster half), and the later pass's first
   * (speedhack window − 1) points are replayed after this pass's, so every
   * speedhack evaluation whose window spans the cut is made (`onWindowClosed`
   * runs for each) — the later pass made the ones after. RTT samples follow
   * as newer ones; the count of preferred-source samples leaves out the ack
   * samples the later pass counted before its first echo when this pass had
   * echoes (one pass preferred the echoes there).
   */
  continueWith(later: SessionTimeline): void {
    const points = this.options.speedhackWindowPoints;
    const open = this.windowBestDelay !== Number.POSITIVE_INFINITY;
    let replayFrom = 0;
    let keepOpen = false;
    if (open && later.closedWindows > 0 && later.headFirstIndex === this.windowIndex) {
      // The cut fell inside a one-second window: one point, the lower envelope of both halves.
      const laterDelay = later.headArrivalUs[0]! - later.headClaimedUs[0]!;
      if (laterDelay < this.windowBestDelay) {
        this.windowBestDelay = laterDelay;
        this.windowBestArrival = later.headArrivalUs[0]!;
        this.windowBestClaimed = later.headClaimedUs[0]!;
      }
      this.closeWindow();
      replayFrom = 1;
    } else if (open && later.closedWindows === 0 && later.windowIndex === this.windowIndex) {
      keepOpen = true;
    } else {
      this.closeWindow();
    }
    for (let index = replayFrom; index < later.headArrivalUs.length; index++) {
      this.envelopeArrivalUs.push(later.headArrivalUs[index]!);
      this.envelopeClaimedUs.push(later.headClaimedUs[index]!);
      this.onWindowClosed?.();
    }
    if (later.closedWindows >= points) {
      for (let index = 0; index < later.envelopeArrivalUs.length; index++) {
        this.envelopeArrivalUs.push(later.envelopeArrivalUs.at(index));
        this.envelopeClaimedUs.push(later.envelopeClaimedUs.at(index));
      }
    }
    this.closedWindows += later.closedWindows - replayFrom;
    for (let index = 0; index < later.windowMinDelay.length; index++) this.windowMinDelay.push(later.windowMinDelay.at(index));
    if (keepOpen) {
      if (later.windowBestDelay < this.windowBestDelay) {
        this.windowBestDelay = later.windowBestDelay;
        this.windowBestArrival = later.windowBestArrival;
        this.windowBestClaimed = later.windowBestClaimed;
      }
    } else {
      this.windowIndex = later.windowIndex;
      this.windowBestDelay = later.windowBestDelay;
      this.windowBestArrival = later.windowBestArrival;
      this.windowBestClaimed = later.windowBestClaimed;
    }
    let offset = this.windowBestDelay;
    for (let index = 0; index < this.windowMinDelay.length; index++) offset = Math.min(offset, this.windowMinDelay.at(index));
    if (offset !== Number.POSITIVE_INFINITY) this.offsetUs = offset;
    if (this.player === this.sessionId) this.player = later.player;
    this.clientMessages += later.clientMessages;
    this.serverDatagrams += later.serverDatagrams;
    this.serverPackets += later.serverPackets;
    if (!(this.firstUs <= later.firstUs)) this.firstUs = Number.isNaN(this.firstUs) ? later.firstUs : Math.min(this.firstUs, later.firstUs);
    if (!(this.lastUs >= later.lastUs)) this.lastUs = later.lastUs;
    // The later pass counted ack samples as preferred until its first echo; with echoes before
    // the cut, one pass would not have (echoes were preferred already).
    const echoesBefore = this.serverAsked.count + this.clientAsked.count > 0;
    const laterSerial = echoesBefore && later.serialBeforeEcho >= 0 ? later.rttSerial - later.serialBeforeEcho : later.rttSerial;
    if (this.serialBeforeEcho < 0 && later.serialBeforeEcho >= 0) this.serialBeforeEcho = this.rttSerial + later.serialBeforeEcho;
    const kinds: Array<[RttKind, RttKind]> = [
      [this.serverAsked, later.serverAsked],
      [this.clientAsked, later.clientAsked],
      [this.acknowledged, later.acknowledged],
    ];
    for (const [mine, theirs] of kinds) {
      for (let index = 0; index < theirs.samples.length; index++) mine.samples.push(theirs.samples.at(index));
      if (theirs.count > 0) mine.average = theirs.average;
      mine.count += theirs.count;
    }
    if (later.rttSerial > 0) {
      this.lastRttMs = later.lastRttMs;
      this.smoothedRttMs = later.smoothedRttMs;
    }
    this.rttSerial += laterSerial;
    if (later.wireRttSerial > 0) this.lastWireRttMs = later.lastWireRttMs;
    this.wireRttSerial += later.wireRttSerial;
    if (later.serverClockOffsetUs < this.serverClockOffsetUs || Number.isNaN(this.serverClockOffsetUs)) this.serverClockOffsetUs = later.serverClockOffsetUs;
  }
}
