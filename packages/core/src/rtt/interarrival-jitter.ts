import { Type, type Static } from "@sinclair/typebox";
import { QuantileSketch, quantileSketchStateSchema } from "./quantile-sketch.js";
import { badState, checkState, countSchema, decodeNumber, encodeNumber, encodedNumberSchema } from "./rtt-state.js";

/** Options of {@link InterarrivalJitter}. */
export interface InterarrivalJitterOptions {
  /** Track RFC 5481 PDV quantiles (one more sketch update per packet). Default true; when false {@link InterarrivalJitter.pdvQuantileMs} is NaN. */
  packetDelayVariation?: boolean;
  /**
   * A sender-clock jump is a discontinuity (the difference chain restarts
   * instead of yielding a sample) when the packet's |D| is at least this many
   * ms *and* the send-time gap disagrees with the sequence gap × the sender's
   * step by as much (or the packet has no sequence). Default 1,000; `Infinity`
   * never restarts on a jump.
   */
  discontinuityMs?: number;
  /** Restarts kept in {@link InterarrivalJitter.restarts} (more are only counted). Default 100. */
  maxRestartsKept?: number;
}

/** Why {@link InterarrivalJitter} restarted its difference chain. */
export type JitterRestartReason = "timestampJump" | "clockChange";

/** One restart of the difference chain: a sender timestamp discontinuity or a change of media clock (payload type). */
export interface JitterRestart {
  /** Arrival time of the first packet after the discontinuity, µs. */
  tUs: number;
  /** `timestampJump` (the sender's timestamp reset or jumped) or `clockChange` (another payload type / clock). */
  reason: JitterRestartReason;
  /** Send-time gap to the previous packet, ms (what the timestamp jumped by). */
  sendJumpMs: number;
  /** Arrival gap to the previous packet, ms. */
  arrivalGapMs: number;
  /** Sequence number of the packet (null when the stream has none). */
  sequence: number | null;
  /** Clock (payload type / message type) before and after. */
  fromClock: string;
  toClock: string;
}

/** Most restarts a saved jitter state may keep (the `maxRestartsKept` option, capped). */
export const MAX_JITTER_STATE_RESTARTS = 10_000;

/** TypeBox schema of {@link InterarrivalJitterState}. */
export const interarrivalJitterStateSchema = Type.Object(
  {
    packets: countSchema,
    samples: countSchema,
    jitterUs: Type.Number(),
    maxJitterUs: Type.Number(),
    restarts: Type.Array(
      Type.Object(
        {
          tUs: Type.Number(),
          reason: Type.Union([Type.Literal("timestampJump"), Type.Literal("clockChange")]),
          sendJumpMs: encodedNumberSchema,
          arrivalGapMs: encodedNumberSchema,
          sequence: Type.Union([Type.Number(), Type.Null()]),
          fromClock: Type.String({ maxLength: 256 }),
          toClock: Type.String({ maxLength: 256 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_JITTER_STATE_RESTARTS },
    ),
    restartCount: countSchema,
    jitterSumUs: Type.Number(),
    previousReceiveUs: encodedNumberSchema,
    previousSendUs: encodedNumberSchema,
    previousClock: Type.String({ maxLength: 256 }),
    previousSequence: encodedNumberSchema,
    stepUs: encodedNumberSchema,
    firstTransitUs: encodedNumberSchema,
    lastRelativeTransitUs: encodedNumberSchema,
    minimumTransitMs: encodedNumberSchema,
    /** The chain's first packet (null before it): a later pass's first packet is replayed onto an earlier pass by {@link InterarrivalJitter.mergeState}. */
    firstPacket: Type.Union([
      Type.Object(
        { receiveUs: Type.Number(), sendUs: Type.Number(), clock: Type.String({ maxLength: 256 }), sequence: encodedNumberSchema, sequenceBits: Type.Integer({ minimum: 1, maximum: 64 }) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    perPacketMs: quantileSketchStateSchema,
    /** Null when built with `packetDelayVariation: false`. */
    relativeTransitMs: Type.Union([quantileSketchStateSchema, Type.Null()]),
  },
  { additionalProperties: false },
);

/**
 * An {@link InterarrivalJitter}'s whole state as JSON-safe plain data
 * ({@link InterarrivalJitter.saveState}): the running RFC 3550 figures, the
 * previous packet (the difference chain continues from it after
 * {@link InterarrivalJitter.loadState}), the kept restarts and both sketches.
 */
export type InterarrivalJitterState = Static<typeof interarrivalJitterStateSchema>;

/** TypeBox schema of {@link SmoothedRttState}. */
export const smoothedRttStateSchema = Type.Object({ smoothedMs: encodedNumberSchema, variationMs: encodedNumberSchema }, { additionalProperties: false });

/** A {@link SmoothedRtt} as JSON-safe plain data (NaN before the first sample is `null`). */
export type SmoothedRttState = Static<typeof smoothedRttStateSchema>;

/**
 * RFC 3550 §6.4.1 interarrival jitter of one stream, plus RFC 5481 packet
 * delay variation and per-packet jitter. Feed packets in arrival order with
 * the receive time and the sender's timestamp (both µs):
 * `D = (Rj − Ri) − (Sj − Si)`, `J += (|D| − J) / 16`.
 *
 * As Wireshark's RTP analysis measures it, a difference is only taken between
 * packets of one media clock: when the clock (`clock`, e.g. the RTP payload
 * type's message) changes, or the sender's timestamp jumps in a way neither
 * the arrival gap nor the sequence gap explains (a fax switch-over restarting
 * the timestamp while the sequence continues), the difference chain restarts
 * at that packet — J keeps its value, the packet yields no sample, and the
 * restart is recorded ({@link restarts}). A long pause whose timestamp jump
 * matches the sequence jump is not a discontinuity. Mean and max are over
 * the packets that yielded a sample (tshark's convention: every packet but
 * the first). Memory is bounded (two sketches, one without PDV).
 */
export class InterarrivalJitter {
  /** Packets fed. */
  packets = 0;
  /** Packets that yielded a difference D (all but the first of each chain). */
  samples = 0;
  /** Current RFC 3550 jitter, µs. */
  jitterUs = 0;
  /** Largest RFC 3550 jitter seen, µs. */
  maxJitterUs = 0;
  /** Restarts of the difference chain (discontinuities), the first `maxRestartsKept`. */
  readonly restarts: JitterRestart[] = [];
  /** Every restart, kept or not. */
  restartCount = 0;
  private jitterSumUs = 0;
  private previousReceiveUs = Number.NaN;
  private previousSendUs = Number.NaN;
  private previousClock = "";
  private previousSequence = Number.NaN;
  /** Sender step per sequence number, µs (last gap between consecutive sequences), NaN until known. */
  private stepUs = Number.NaN;
  private firstTransitUs = Number.NaN;
  private lastRelativeTransitUs = 0;
  private minimumTransitMs = Infinity;
  private readonly discontinuityUs: number;
  private readonly maxRestartsKept: number;
  /** The first packet fed (for continuing a later pass onto this one, {@link mergeState}). */
  private firstPacket: { receiveUs: number; sendUs: number; clock: string; sequence: number; sequenceBits: number } | undefined;
  /** Per-packet jitter |D| in ms (receive gap − send gap). */
  readonly perPacketMs = new QuantileSketch();
  /** Transit time relative to the first packet's, ms (PDV = this − its minimum). */
  private readonly relativeTransitMs: QuantileSketch | undefined;

  constructor(options: InterarrivalJitterOptions = {}) {
    this.relativeTransitMs = options.packetDelayVariation === false ? undefined : new QuantileSketch();
    this.discontinuityUs = (options.discontinuityMs ?? 1000) * 1000;
    this.maxRestartsKept = options.maxRestartsKept ?? 100;
  }

  /**
   * Feeds one packet: arrival and sender time (µs), the media clock it is
   * timed by (payload type / message type; "" when the stream has one), and
   * its sequence number with the sequence field's width (NaN when none).
   */
  add(receiveUs: number, sendUs: number, clock = "", sequence = Number.NaN, sequenceBits = 16): void {
    this.packets += 1;
    if (Number.isNaN(this.previousReceiveUs)) {
      this.firstPacket = { receiveUs, sendUs, clock, sequence, sequenceBits };
      this.firstTransitUs = receiveUs - sendUs;
      this.lastRelativeTransitUs = 0;
    } else {
      const arrivalGapUs = receiveUs - this.previousReceiveUs;
      const sendGapUs = sendUs - this.previousSendUs;
      const difference = arrivalGapUs - sendGapUs;
      const magnitude = Math.abs(difference);
      const sequenceGap = Number.isNaN(sequence) || Number.isNaN(this.previousSequence) ? Number.NaN : signedGap(sequence, this.previousSequence, sequenceBits);
      const reason: JitterRestartReason | undefined =
        clock !== this.previousClock ? "clockChange" : magnitude >= this.discontinuityUs && !this.explainedBySequence(sendGapUs, sequenceGap) ? "timestampJump" : undefined;
      if (reason !== undefined) {
        this.restart(receiveUs, sendUs, reason, sendGapUs, arrivalGapUs, sequence, clock);
      } else {
        this.jitterUs += (magnitude - this.jitterUs) / 16;
        if (this.jitterUs > this.maxJitterUs) this.maxJitterUs = this.jitterUs;
        this.jitterSumUs += this.jitterUs;
        this.samples += 1;
        this.perPacketMs.add(magnitude / 1000);
        if (sequenceGap === 1 && sendGapUs > 0) this.stepUs = sendGapUs;
      }
    }
    const relativeUs = receiveUs - sendUs - this.firstTransitUs;
    this.lastRelativeTransitUs = relativeUs;
    if (this.relativeTransitMs !== undefined) {
      const relativeMs = relativeUs / 1000;
      if (relativeMs < this.minimumTransitMs) this.minimumTransitMs = relativeMs;
      this.relativeTransitMs.add(relativeMs);
    }
    this.previousReceiveUs = receiveUs;
    this.previousSendUs = sendUs;
    this.previousClock = clock;
    if (!Number.isNaN(sequence)) this.previousSequence = sequence;
  }

  /**
   * Mean of the RFC 3550 jitter after each packet that yielded a difference
   * (tshark's "Mean Jitter": every packet but the first), µs.
   */
  get meanJitterUs(): number {
    return this.samples === 0 ? 0 : this.jitterSumUs / this.samples;
  }

  /**
   * RFC 5481 PDV quantile: `q`-quantile of (transit − minimum transit), ms.
   * Error ≤ 0.5 % of |transit − first transit|. NaN when empty or built
   * with `packetDelayVariation: false`. Transit is rebased at each restart
   * (the first packet after a discontinuity continues the previous transit).
   */
  pdvQuantileMs(q: number): number {
    if (this.packets === 0 || this.relativeTransitMs === undefined) return Number.NaN;
    return Math.max(0, this.relativeTransitMs.quantile(q) - this.minimumTransitMs);
  }

  /** The jitter's whole state as JSON-safe plain data (see {@link InterarrivalJitterState}); feeding may continue. */
  saveState(): InterarrivalJitterState {
    return {
      packets: this.packets,
      samples: this.samples,
      jitterUs: this.jitterUs,
      maxJitterUs: this.maxJitterUs,
      restarts: this.restarts.map((restart) => ({ ...restart, sendJumpMs: encodeNumber(restart.sendJumpMs), arrivalGapMs: encodeNumber(restart.arrivalGapMs) })),
      restartCount: this.restartCount,
      jitterSumUs: this.jitterSumUs,
      previousReceiveUs: encodeNumber(this.previousReceiveUs),
      previousSendUs: encodeNumber(this.previousSendUs),
      previousClock: this.previousClock,
      previousSequence: encodeNumber(this.previousSequence),
      stepUs: encodeNumber(this.stepUs),
      firstTransitUs: encodeNumber(this.firstTransitUs),
      lastRelativeTransitUs: encodeNumber(this.lastRelativeTransitUs),
      minimumTransitMs: encodeNumber(this.minimumTransitMs),
      firstPacket: this.firstPacket === undefined ? null : { ...this.firstPacket, sequence: encodeNumber(this.firstPacket.sequence) },
      perPacketMs: this.perPacketMs.saveState(),
      relativeTransitMs: this.relativeTransitMs === undefined ? null : this.relativeTransitMs.saveState(),
    };
  }

  /**
   * Replaces this (freshly created, same options) jitter's state with a saved
   * one: the next packet continues the saved difference chain. A state that
   * does not fit (wrong shape, PDV tracked in one and not the other, more
   * restarts than `maxRestartsKept`, inconsistent sketches) throws
   * `E_BAD_PARTIAL` before anything changes.
   */
  loadState(state: InterarrivalJitterState): void {
    const checked = checkState(interarrivalJitterStateSchema, state, "interarrival jitter state");
    if ((checked.relativeTransitMs === null) !== (this.relativeTransitMs === undefined)) badState("interarrival jitter state", "/relativeTransitMs", "PDV tracked in one of the saved and the restoring jitter only (create it with the same options)");
    if (checked.restarts.length > this.maxRestartsKept) badState("interarrival jitter state", "/restarts", `${checked.restarts.length} restarts kept, at most ${this.maxRestartsKept}`);
    const perPacket = QuantileSketch.fromState(checked.perPacketMs);
    const relative = checked.relativeTransitMs === null ? undefined : QuantileSketch.fromState(checked.relativeTransitMs);
    this.packets = checked.packets;
    this.samples = checked.samples;
    this.jitterUs = checked.jitterUs;
    this.maxJitterUs = checked.maxJitterUs;
    this.restarts.length = 0;
    for (const restart of checked.restarts) this.restarts.push({ ...restart, sendJumpMs: decodeNumber(restart.sendJumpMs), arrivalGapMs: decodeNumber(restart.arrivalGapMs) });
    this.restartCount = checked.restartCount;
    this.jitterSumUs = checked.jitterSumUs;
    this.previousReceiveUs = decodeNumber(checked.previousReceiveUs);
    this.previousSendUs = decodeNumber(checked.previousSendUs);
    this.previousClock = checked.previousClock;
    this.previousSequence = decodeNumber(checked.previousSequence);
    this.stepUs = decodeNumber(checked.stepUs);
    this.firstTransitUs = decodeNumber(checked.firstTransitUs);
    this.lastRelativeTransitUs = decodeNumber(checked.lastRelativeTransitUs);
    this.minimumTransitMs = decodeNumber(checked.minimumTransitMs);
    this.firstPacket = checked.firstPacket === null ? undefined : { ...checked.firstPacket, sequence: decodeNumber(checked.firstPacket.sequence) };
    (this as { perPacketMs: QuantileSketch }).perPacketMs = perPacket;
    (this as unknown as { relativeTransitMs: QuantileSketch | undefined }).relativeTransitMs = relative;
  }

  /**
   * Continues this jitter with a later pass's saved state of the same stream
   * (a capture rotation cut it): the later pass's first packet is fed here as
   * one pass would have fed it (its difference to this pass's last packet, or
   * a restart), and since the RFC 3550 update is linear in J, the later pass's
   * J, mean and per-packet |D| follow exactly from its own figures plus the
   * decayed difference of the starting J (`ΔJ·(15/16)^m`). Exact: packets,
   * samples, last and mean jitter, per-packet |D| quantiles, restarts (unless
   * the later pass's first sequence step decides a discontinuity differently).
   * Approximate: the max jitter (the later pass's own max: low by at most ΔJ)
   * and the PDV quantiles (the later pass's transit values are rebased onto
   * this pass's base at their sketch bucket centres: error ≤ 0.5 % of the value
   * in the later pass). Throws `E_BAD_PARTIAL` before any change on a bad state.
   */
  mergeState(later: InterarrivalJitterState): void {
    const checked = checkState(interarrivalJitterStateSchema, later, "interarrival jitter state");
    const probe = new InterarrivalJitter({ packetDelayVariation: this.relativeTransitMs !== undefined, discontinuityMs: this.discontinuityUs / 1000, maxRestartsKept: this.maxRestartsKept });
    probe.loadState(checked);
    if (checked.packets === 0) return;
    if (this.packets === 0) {
      this.loadState(checked);
      return;
    }
    const first = checked.firstPacket;
    if (first === null) badState("interarrival jitter state", "/firstPacket", "a stream with packets names its first packet");
    if (checked.relativeTransitMs !== null && checked.relativeTransitMs.zeroCount < 1) badState("interarrival jitter state", "/relativeTransitMs/zeroCount", "the first packet's relative transit (0) is missing");
    this.add(first.receiveUs, first.sendUs, first.clock, decodeNumber(first.sequence), first.sequenceBits);
    const shiftUs = this.lastRelativeTransitUs;
    const ratio = 15 / 16;
    const decay = Math.pow(ratio, checked.samples);
    const deltaUs = this.jitterUs;
    this.jitterUs = checked.jitterUs + deltaUs * decay;
    this.jitterSumUs += checked.jitterSumUs + 15 * deltaUs * (1 - decay);
    this.samples += checked.samples;
    this.maxJitterUs = Math.max(this.maxJitterUs, checked.maxJitterUs, this.jitterUs);
    this.packets += checked.packets - 1;
    this.perPacketMs.mergeState(checked.perPacketMs);
    if (this.relativeTransitMs !== undefined && checked.relativeTransitMs !== null) {
      this.relativeTransitMs.mergeShiftedState(checked.relativeTransitMs, shiftUs / 1000, 1);
      this.minimumTransitMs = Math.min(this.minimumTransitMs, decodeNumber(checked.minimumTransitMs) + shiftUs / 1000);
    }
    this.lastRelativeTransitUs = decodeNumber(checked.lastRelativeTransitUs) + shiftUs;
    this.firstTransitUs = decodeNumber(checked.firstTransitUs) - shiftUs;
    for (const restart of probe.restarts) if (this.restarts.length < this.maxRestartsKept) this.restarts.push(restart);
    this.restartCount += checked.restartCount;
    this.previousReceiveUs = probe.previousReceiveUs;
    this.previousSendUs = probe.previousSendUs;
    this.previousClock = probe.previousClock;
    if (!Number.isNaN(probe.previousSequence)) this.previousSequence = probe.previousSequence;
    if (!Number.isNaN(probe.stepUs)) this.stepUs = probe.stepUs;
  }

  /** True when the send-time gap is what the sequence gap predicts (a pause, a burst of loss), within the discontinuity threshold. */
  private explainedBySequence(sendGapUs: number, sequenceGap: number): boolean {
    if (Number.isNaN(sequenceGap) || Number.isNaN(this.stepUs)) return false;
    return Math.abs(sendGapUs - sequenceGap * this.stepUs) < this.discontinuityUs;
  }

  private restart(receiveUs: number, sendUs: number, reason: JitterRestartReason, sendGapUs: number, arrivalGapUs: number, sequence: number, clock: string): void {
    this.restartCount += 1;
    if (this.restarts.length < this.maxRestartsKept) {
      this.restarts.push({
        tUs: receiveUs,
        reason,
        sendJumpMs: sendGapUs / 1000,
        arrivalGapMs: arrivalGapUs / 1000,
        sequence: Number.isNaN(sequence) ? null : sequence,
        fromClock: this.previousClock,
        toClock: clock,
      });
    }
    // The new chain continues the previous packet's relative transit (PDV stays meaningful across the jump).
    this.firstTransitUs = receiveUs - sendUs - this.lastRelativeTransitUs;
    if (reason === "clockChange") this.stepUs = Number.NaN;
  }
}

/** 2^bits for every sequence width below 53 bits (signedGap's modulus, looked up per packet). */
const POWERS_OF_TWO: readonly number[] = Array.from({ length: 53 }, (_, bits) => 2 ** bits);

/** `sequence − previous` as a signed gap modulo 2^bits (in (−2^(bits−1), 2^(bits−1)]). */
function signedGap(sequence: number, previous: number, bits: number): number {
  if (bits >= 53) return sequence - previous;
  const modulus = POWERS_OF_TWO[bits] ?? 2 ** bits;
  const difference = sequence - previous;
  // A difference already inside (−modulus, modulus) is its own remainder (no floating-point remainder per packet).
  let gap = difference > -modulus && difference < modulus ? difference : difference % modulus;
  if (gap < 0) gap += modulus;
  return gap > modulus / 2 ? gap - modulus : gap;
}

/**
 * RTT smoothing of TCP (RFC 6298) and ENet: `srtt += α(r − srtt)`,
 * `rttvar += β(|r − srtt| − rttvar)` with α = 1/8, β = 1/4; the first sample
 * sets srtt = r, rttvar = r/2.
 */
export class SmoothedRtt {
  /** Smoothed RTT, ms (NaN before the first sample). */
  smoothedMs = Number.NaN;
  /** RTT variation, ms. */
  variationMs = Number.NaN;

  constructor(
    readonly alpha = 1 / 8,
    readonly beta = 1 / 4,
  ) {}

  /** The smoothed RTT as JSON-safe plain data. */
  saveState(): SmoothedRttState {
    return { smoothedMs: encodeNumber(this.smoothedMs), variationMs: encodeNumber(this.variationMs) };
  }

  /** Replaces the smoothed RTT with a saved one (`E_BAD_PARTIAL` when it is not a {@link SmoothedRttState}). */
  loadState(state: SmoothedRttState): void {
    const checked = checkState(smoothedRttStateSchema, state, "smoothed RTT state");
    this.smoothedMs = decodeNumber(checked.smoothedMs);
    this.variationMs = decodeNumber(checked.variationMs);
  }

  /** Feeds one RTT sample, ms. */
  add(rttMs: number): void {
    if (Number.isNaN(this.smoothedMs)) {
      this.smoothedMs = rttMs;
      this.variationMs = rttMs / 2;
      return;
    }
    this.variationMs += this.beta * (Math.abs(rttMs - this.smoothedMs) - this.variationMs);
    this.smoothedMs += this.alpha * (rttMs - this.smoothedMs);
  }
}
