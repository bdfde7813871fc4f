import type { GameMessage } from "@tickscope/core";
import { round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";
import { WindowHistory } from "../window-history.js";

/**
 * Artificial latency claimed in the client's reported RTT: the RTT the client
 * reports against the RTT measured from echo pairs on the wire, paired at
 * each new measurement. The differences are judged per 10-s window through a
 * {@link WindowHistory} (bounded; an inflation early in a long capture is
 * found as surely as one at its end): the strongest run of windows whose
 * median excess is above max(`fakeLatencyMinExcessMs`, `fakeLatencyRelativeExcess`
 * × measured RTT) is the finding when its pooled median clears that by 2
 * robust standard errors. Selective delay of shots is
 * {@link SelectiveDelayDetector}'s.
 */
export class FakeLatencyDetector implements SessionDetector {
  private lastReportedRttMs = Number.NaN;
  private rttSerial = 0;
  private readonly history: WindowHistory;

  constructor(private readonly options: AnticheatOptions) {
    this.history = new WindowHistory((medians) => medians[0]! > this.threshold(medians[1]!), 2);
  }

  private threshold(measuredMs: number): number {
    return Math.max(this.options.fakeLatencyMinExcessMs, this.options.fakeLatencyRelativeExcess * measuredMs);
  }

  onClientMessage(message: GameMessage, _claimedUs: number | undefined, timeline: SessionTimeline): void {
    const reported = message.roles.reportedRttMs;
    if (reported !== undefined) this.lastReportedRttMs = reported;
    if (timeline.rttSerial !== this.rttSerial) {
      this.rttSerial = timeline.rttSerial;
      if (!Number.isNaN(this.lastReportedRttMs)) {
        this.history.add(message.tUs, message.packetIndex, false, this.lastReportedRttMs - timeline.lastRttMs, timeline.lastRttMs);
      }
    }
  }

  finish(timeline: SessionTimeline, events: DetectorEvent[]): void {
    const minimum = this.options.latencyMinSamples;
    this.history.flush();
    const run = this.history.strongestRun();
    if (run === undefined || run.samples < minimum || timeline.measuredRttMs.length < minimum) return;
    const excess = run.medians[0]!;
    const measured = run.medians[1]!;
    // The run's pooled excess must clear the threshold by 2 robust standard errors: one
    // window of a drifting mobile path can sit above it by chance, a lying client stays there.
    const threshold = this.threshold(measured) + 2 * run.standardError;
    if (!(excess > threshold)) return;
    const reported = measured + excess;
    events.push({
      kind: "fakeLatency",
      startUs: run.startUs,
      endUs: run.endUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, excess / threshold - 1))),
      summary: `Client reports a median RTT of ${round3(reported)} ms while the wire shows ${round3(measured)} ms (+${round3(excess)} ms, threshold ${round3(threshold)} ms; ${run.samples} pairs over ${run.windows} 10-s window(s)).`,
      values: {
        reportedRttMedianMs: round3(reported),
        measuredRttMedianMs: round3(measured),
        excessMs: round3(excess),
        thresholdMs: round3(threshold),
        pairs: run.samples,
        windows: run.windows,
        measuredSamples: timeline.measuredRttMs.length,
      },
      packetIndices: [...run.packetIndices],
    });
  }
}
