import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import { NumberRing } from "../ring-buffer.js";
import { medianOf, medianStandardError } from "../robust-statistics.js";
import type { SessionTimeline } from "../session-timeline.js";

const SAMPLES = 128;
const MAX_TYPES = 8;
const PAIR_WINDOW_US = 250_000;

interface TypeDelays {
  differencesMs: NumberRing;
  firstUs: number;
  lastUs: number;
  packetIndices: number[];
}

/**
 * Artificial latency: (1) the RTT the client reports against the RTT measured
 * from echo pairs on the wire (paired at each measurement, median of the
 * differences); (2) selective delay — each non-command message's extra age
 * (arrival − claimed send time, offset removed) compared with the command
 * (input, or movement) message just before it, so path changes and clock drift
 * cancel and only deliberate holding of shots (or pongs) remains; the paired
 * differences also catch variance added to one message type only.
 */
export class FakeLatencyDetector implements SessionDetector {
  /** Reported − measured RTT, paired at each new measurement, ms. */
  private readonly reportedExcessMs = new NumberRing(SAMPLES);
  private lastReportedRttMs = Number.NaN;
  private rttSerial = 0;
  private readonly types = new Map<string, TypeDelays>();
  private lastMovementAgeUs = Number.NaN;
  private lastMovementUs = Number.NaN;
  private firstReportedUs = Number.NaN;
  private lastReportedUs = Number.NaN;
  private readonly reportPackets: number[] = [];

  constructor(private readonly options: AnticheatOptions) {}

  onClientMessage(message: GameMessage, claimedUs: number | undefined, timeline: SessionTimeline): void {
    const roles = message.roles;
    if (roles.reportedRttMs !== undefined) this.lastReportedRttMs = roles.reportedRttMs;
    if (timeline.rttSerial !== this.rttSerial) {
      this.rttSerial = timeline.rttSerial;
      if (!Number.isNaN(this.lastReportedRttMs)) {
        this.reportedExcessMs.push(this.lastReportedRttMs - timeline.lastRttMs);
        if (Number.isNaN(this.firstReportedUs)) this.firstReportedUs = message.tUs;
        this.lastReportedUs = message.tUs;
        addEvidencePacket(this.reportPackets, message.packetIndex);
      }
    }
    if (claimedUs === undefined || Number.isNaN(timeline.clockOffsetUs)) return;
    const ageUs = timeline.ageUs(message.tUs, claimedUs);
    if (roles.inputSequence !== undefined || roles.inputCount !== undefined || (roles.position !== undefined && roles.targetTimeUs === undefined)) {
      this.lastMovementAgeUs = ageUs;
      this.lastMovementUs = message.tUs;
      return;
    }
    if (!(message.tUs - this.lastMovementUs <= PAIR_WINDOW_US)) return;
    let delays = this.types.get(message.type);
    if (delays === undefined) {
      if (this.types.size >= MAX_TYPES) return;
      delays = { differencesMs: new NumberRing(SAMPLES), firstUs: message.tUs, lastUs: message.tUs, packetIndices: [] };
      this.types.set(message.type, delays);
    }
    delays.differencesMs.push((ageUs - this.lastMovementAgeUs) / 1000);
    delays.lastUs = message.tUs;
    addEvidencePacket(delays.packetIndices, message.packetIndex);
  }

  finish(timeline: SessionTimeline, events: DetectorEvent[]): void {
    const minimum = this.options.latencyMinSamples;
    if (timeline.measuredRttMs.length >= minimum && this.reportedExcessMs.length >= minimum) {
      const measured = medianOf(timeline.measuredRttMs.toArray());
      const excess = medianOf(this.reportedExcessMs.toArray());
      const reported = measured + excess;
      const threshold = Math.max(this.options.fakeLatencyMinExcessMs, this.options.fakeLatencyRelativeExcess * measured);
      if (excess > threshold) {
        events.push({
          kind: "fakeLatency",
          startUs: this.firstReportedUs,
          endUs: this.lastReportedUs,
          confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, excess / threshold - 1))),
          summary: `Client reports a median RTT of ${round3(reported)} ms while the wire shows ${round3(measured)} ms (+${round3(excess)} ms, threshold ${round3(threshold)} ms).`,
          values: {
            reportedRttMedianMs: round3(reported),
            measuredRttMedianMs: round3(measured),
            excessMs: round3(excess),
            thresholdMs: round3(threshold),
            pairs: this.reportedExcessMs.length,
            measuredSamples: timeline.measuredRttMs.length,
          },
          packetIndices: [...this.reportPackets],
        });
      }
    }
    for (const type of [...this.types.keys()].sort()) {
      const delays = this.types.get(type)!;
      if (delays.differencesMs.length < minimum) continue;
      const differences = delays.differencesMs.toArray();
      const extra = medianOf(differences);
      const threshold = this.options.selectiveDelayMinMs + 2 * medianStandardError(differences);
      if (extra <= threshold) continue;
      events.push({
        kind: "fakeLatency",
        startUs: delays.firstUs,
        endUs: delays.lastUs,
        confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, extra / threshold - 1))),
        summary: `Messages of type ${type} arrive ${round3(extra)} ms later than the movement sent with them (median of ${differences.length} pairs): they are held back selectively.`,
        values: {
          messageType: type,
          medianExtraDelayMs: round3(extra),
          thresholdMs: round3(threshold),
          pairs: differences.length,
        },
        packetIndices: [...delays.packetIndices],
      });
    }
  }
}
