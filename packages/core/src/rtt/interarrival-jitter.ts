import { QuantileSketch } from "./quantile-sketch.js";

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

/** `sequence − previous` as a signed gap modulo 2^bits (in (−2^(bits−1), 2^(bits−1)]). */
function signedGap(sequence: number, previous: number, bits: number): number {
  if (bits >= 53) return sequence - previous;
  const modulus = 2 ** bits;
  let gap = (sequence - previous) % modulus;
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
