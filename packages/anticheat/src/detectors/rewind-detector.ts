import type { ClientDatagram } from "../client-datagram.js";
import { round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";
import { WindowHistory } from "../window-history.js";

/** A target within this distance of a clock is taken to be in that clock, µs. */
const CLOCK_DOMAIN_US = 60e6;

/**
 * `a − b` when the two times are within a minute of each other, allowing for
 * `b` being truncated on the wire: to the target field's own width
 * (`modulusUs`, from the `targetTimeModulusUs` role: a target in another
 * sender's clock is unwrapped against the sender's own clock, so it can sit a
 * whole number of wraps away), else to 48 or 32 bits; NaN when they are not in
 * the same clock.
 */
function nearDifference(a: number, b: number, modulusUs: number): number {
  const difference = a - b;
  if (Math.abs(difference) < CLOCK_DOMAIN_US) return difference;
  if (modulusUs > 2 * CLOCK_DOMAIN_US) {
    const wrapped = ((difference % modulusUs) + modulusUs) % modulusUs;
    if (wrapped < CLOCK_DOMAIN_US) return wrapped;
    if (modulusUs - wrapped < CLOCK_DOMAIN_US) return wrapped - modulusUs;
  }
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
 *
 * A target is judged against the time its datagram claims (the shot's own
 * `sendTime`/`tick`, else the newest input it rides with); in the server's or
 * capture's clock the reference is the claimed time moved to the fastest-path
 * arrival (claimed + clock offset), not the real arrival — so a datagram held
 * back (fake lag, {@link SelectiveDelayDetector}) does not read as a longer
 * rewind. Requests are judged per 10-s window through a {@link WindowHistory}
 * (bounded, whole session): the strongest run of windows whose median excess
 * is above `rewindToleranceMs`, or whose share beyond `maxRewindMs` reaches
 * `rewindMaxExceedFraction`, is the finding — wherever in the capture it is.
 */
export class RewindDetector implements SessionDetector {
  private readonly history: WindowHistory;
  private requests = 0;
  /** Targets in neither the client's nor the capture's clock (ignored). */
  unknownClock = 0;

  constructor(private readonly options: AnticheatOptions) {
    const tolerance = options.rewindToleranceMs;
    const fraction = options.rewindMaxExceedFraction;
    this.history = new WindowHistory((medians, flaggedFraction) => medians[0]! > tolerance || flaggedFraction >= fraction, 2);
  }

  /** Judges the shots of one closed client datagram. */
  onClientDatagram(datagram: ClientDatagram, timeline: SessionTimeline): void {
    const targets = datagram.targetsUs;
    for (let index = 0; index < datagram.targetCount; index++) {
      const own = datagram.targetClaimsUs[index]!;
      this.judgeTarget(targets[index]!, Number.isNaN(own) ? datagram.claimedUs : own, datagram, timeline);
    }
  }

  private judgeTarget(target: number, claimedUs: number, datagram: ClientDatagram, timeline: SessionTimeline): void {
    // The target is in the client's clock (rewind = claimed send time − target, honest ≈
    // interpolation + one-way delay ≈ RTT/2), the server's clock (its messages' send times)
    // or the capture clock (both ≈ interpolation + RTT, measured from the fastest-path
    // arrival of the claim so holding the datagram does not count). The nearest plausible
    // clock wins; a clock that matches by coincidence is seconds off.
    const offsetUs = timeline.clockOffsetUs;
    const arrivalUs = Number.isNaN(claimedUs) || Number.isNaN(offsetUs) ? datagram.arrivalUs : Math.min(datagram.arrivalUs, claimedUs + offsetUs);
    const modulusUs = datagram.targetModulusUs;
    const client = Number.isNaN(claimedUs) ? Number.NaN : nearDifference(claimedUs, target, modulusUs);
    const server = Number.isNaN(timeline.serverClockOffsetUs) ? Number.NaN : nearDifference(arrivalUs - timeline.serverClockOffsetUs, target, modulusUs);
    const capture = nearDifference(arrivalUs, target, modulusUs);
    let differenceUs = client;
    let rttShare = 0.5;
    if (!(Math.abs(differenceUs) <= Math.abs(server)) && !Number.isNaN(server)) {
      differenceUs = server;
      rttShare = 1;
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
    const rttMs = timeline.smoothedRttMs;
    const excess = Number.isNaN(rttMs) ? Number.NEGATIVE_INFINITY : rewindMs - this.options.interpolationDelayMs - rttMs * rttShare;
    this.history.add(datagram.arrivalUs, datagram.packetIndex, rewindMs > this.options.maxRewindMs, excess, rewindMs);
  }

  finish(_timeline: SessionTimeline, events: DetectorEvent[]): void {
    this.history.flush();
    const run = this.history.strongestRun();
    if (run === undefined || run.samples < this.options.rewindMinSamples) return;
    const medianExcess = run.medians[0]!;
    const beyondFraction = run.flagged / run.samples;
    const inconsistent = medianExcess > this.options.rewindToleranceMs;
    const beyond = beyondFraction >= this.options.rewindMaxExceedFraction;
    if (!inconsistent && !beyond) return;
    const strength = inconsistent ? medianExcess / this.options.rewindToleranceMs - 1 : beyondFraction / this.options.rewindMaxExceedFraction - 1;
    const excessText = Number.isFinite(medianExcess) ? round3(medianExcess) : "unknown";
    const outside = this.history.baselineMedian();
    const whole = run.samples === this.history.samples;
    events.push({
      kind: "rewindAbuse",
      startUs: run.startUs,
      endUs: run.endUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, strength) + (inconsistent && beyond ? 0.09 : 0))),
      summary:
        `Client asks for a median rewind of ${round3(run.medians[1]!)} ms, ${excessText} ms beyond interpolation + RTT/2 ` +
        `(${run.samples} requests over ${run.windows} 10-s window(s)${whole ? ", the whole session" : Number.isFinite(outside) ? `; ${round3(outside)} ms in the other windows` : ""}); ` +
        `${run.flagged} of them exceed the ${this.options.maxRewindMs} ms window.`,
      values: {
        medianRewindMs: round3(run.medians[1]!),
        medianExcessMs: excessText,
        toleranceMs: this.options.rewindToleranceMs,
        requests: run.samples,
        windows: run.windows,
        beyondWindow: run.flagged,
        compensationWindowMs: this.options.maxRewindMs,
        sessionRequests: this.requests,
        outsideRunExcessMs: Number.isFinite(outside) ? round3(outside) : "none",
      },
      packetIndices: [...run.packetIndices],
    });
  }
}
