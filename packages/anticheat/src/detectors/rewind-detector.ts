import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import { NumberRing } from "../ring-buffer.js";
import { medianOf } from "../robust-statistics.js";
import type { SessionTimeline } from "../session-timeline.js";

const SAMPLES = 128;

/**
 * Rewind / lag-compensation abuse: the rewind a client asks for (claimed send
 * time − target time) against what its measured RTT explains (interpolation
 * delay + RTT/2), and against the server's compensation window.
 */
export class RewindDetector implements SessionDetector {
  private readonly excessMs = new NumberRing(SAMPLES);
  private readonly rewindMs = new NumberRing(SAMPLES);
  private beyondWindow = 0;
  private requests = 0;
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  private readonly packetIndices: number[] = [];

  constructor(private readonly options: AnticheatOptions) {}

  onClientMessage(message: GameMessage, claimedUs: number | undefined, timeline: SessionTimeline): void {
    const target = message.roles.targetTimeUs;
    if (target === undefined || claimedUs === undefined) return;
    const rewindMs = (claimedUs - target) / 1000;
    this.requests += 1;
    this.rewindMs.push(rewindMs);
    if (rewindMs > this.options.maxRewindMs) {
      this.beyondWindow += 1;
      addEvidencePacket(this.packetIndices, message.packetIndex);
    }
    if (!Number.isNaN(timeline.lastRttMs)) {
      const excess = rewindMs - this.options.interpolationDelayMs - timeline.lastRttMs / 2;
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
