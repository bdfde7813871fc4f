import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import { NumberRing } from "../ring-buffer.js";
import { medianOf } from "../robust-statistics.js";
import type { SessionTimeline } from "../session-timeline.js";

const SAMPLES = 128;
/** A target within this distance of a clock is taken to be in that clock, µs. */
const CLOCK_DOMAIN_US = 60e6;

/**
 * `a − b` when the two times are within a minute of each other, allowing for
 * `b` being truncated to 48 or 32 bits on the wire; NaN when they are not in
 * the same clock.
 */
function nearDifference(a: number, b: number): number {
  const difference = a - b;
  if (Math.abs(difference) < CLOCK_DOMAIN_US) return difference;
  for (const modulus of WIRE_MODULI) {
    const wrapped = ((difference % modulus) + modulus) % modulus;
    if (wrapped < CLOCK_DOMAIN_US) return wrapped;
    if (modulus - wrapped < CLOCK_DOMAIN_US) return wrapped - modulus;
  }
  return Number.NaN;
}

const WIRE_MODULI = [2 ** 48, 2 ** 32];

/**
 * Rewind / lag-compensation abuse: the rewind a client asks for against what
 * its measured RTT explains (interpolation delay + RTT/2 for a target in the
 * client's clock, + RTT for a target in the server's), and against the
 * server's compensation window.
 */
export class RewindDetector implements SessionDetector {
  private readonly excessMs = new NumberRing(SAMPLES);
  private readonly rewindMs = new NumberRing(SAMPLES);
  private beyondWindow = 0;
  private requests = 0;
  /** Targets in neither the client's nor the capture's clock (ignored). */
  unknownClock = 0;
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  private readonly packetIndices: number[] = [];

  constructor(private readonly options: AnticheatOptions) {}

  onClientMessage(message: GameMessage, claimedUs: number | undefined, timeline: SessionTimeline): void {
    const target = message.roles.targetTimeUs;
    if (target === undefined) return;
    // The target is in the client's clock (rewind = claimed send time − target, honest ≈
    // interpolation + one-way delay ≈ RTT/2) or in the server's (rewind = arrival − target,
    // honest ≈ interpolation + RTT). Decide per message from which clock it is near.
    // Candidates: the client's clock (honest rewind ≈ interpolation + RTT/2), the server's
    // clock (its messages' send times) or the capture clock (both ≈ interpolation + RTT).
    // The nearest plausible one wins; a clock that matches by coincidence is seconds off.
    const client = claimedUs === undefined ? Number.NaN : nearDifference(claimedUs, target);
    const server = Number.isNaN(timeline.serverClockOffsetUs) ? Number.NaN : nearDifference(message.tUs - timeline.serverClockOffsetUs, target);
    const capture = nearDifference(message.tUs, target);
    let differenceUs = client;
    let rttShare = 0.5;
    if (!(Math.abs(differenceUs) <= Math.abs(server))) {
      if (!Number.isNaN(server)) {
        differenceUs = server;
        rttShare = 1;
      }
    }
    if (!(Math.abs(differenceUs) <= Math.abs(capture)) && !Number.isNaN(capture)) {
      differenceUs = capture;
      rttShare = 1;
    }
    if (Number.isNaN(differenceUs)) {
      this.unknownClock += 1;
      return;
    }
    const rewindMs = differenceUs / 1000;
    this.requests += 1;
    this.rewindMs.push(rewindMs);
    if (rewindMs > this.options.maxRewindMs) {
      this.beyondWindow += 1;
      addEvidencePacket(this.packetIndices, message.packetIndex);
    }
    const rttMs = timeline.smoothedRttMs;
    if (!Number.isNaN(rttMs)) {
      const excess = rewindMs - this.options.interpolationDelayMs - rttMs * rttShare;
      this.excessMs.push(excess);
      if (excess > this.options.rewindToleranceMs) addEvidencePacket(this.packetIndices, message.packetIndex);
    }
    if (Number.isNaN(this.firstUs)) this.firstUs = message.tUs;
    this.lastUs = message.tUs;
  }

  finish(_timeline: SessionTimeline, events: DetectorEvent[]): void {
    if (this.requests < this.options.rewindMinSamples) return;
    const beyondFraction = this.beyondWindow / this.requests;
    const medianExcess = this.excessMs.length >= this.options.rewindMinSamples ? medianOf(this.excessMs.toArray()) : Number.NaN;
    const inconsistent = medianExcess > this.options.rewindToleranceMs;
    const beyond = beyondFraction >= this.options.rewindMaxExceedFraction;
    if (!inconsistent && !beyond) return;
    const medianRewind = medianOf(this.rewindMs.toArray());
    const strength = inconsistent ? medianExcess / this.options.rewindToleranceMs - 1 : beyondFraction / this.options.rewindMaxExceedFraction - 1;
    events.push({
      kind: "rewindAbuse",
      startUs: this.firstUs,
      endUs: this.lastUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, strength) + (inconsistent && beyond ? 0.09 : 0))),
      summary: `Client asks for a median rewind of ${round3(medianRewind)} ms, ${Number.isNaN(medianExcess) ? "?" : round3(medianExcess)} ms beyond interpolation + RTT/2; ${this.beyondWindow} of ${this.requests} requests exceed the ${this.options.maxRewindMs} ms window.`,
      values: {
        medianRewindMs: round3(medianRewind),
        medianExcessMs: Number.isNaN(medianExcess) ? "unknown" : round3(medianExcess),
        toleranceMs: this.options.rewindToleranceMs,
        requests: this.requests,
        beyondWindow: this.beyondWindow,
        compensationWindowMs: this.options.maxRewindMs,
      },
      packetIndices: [...this.packetIndices],
    });
  }
}
