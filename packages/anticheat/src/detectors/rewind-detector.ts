import { Type, type Static } from "@sinclair/typebox";
import type { ClientDatagram } from "../client-datagram.js";
import { CountSchema } from "../state-encoding.js";
import { round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";
import { WindowHistory, WindowHistoryStateSchema } from "../window-history.js";

const ClockCountsSchema = Type.Array(CountSchema, { minItems: 3, maxItems: 3 });

/** Saved state of a {@link RewindDetector}: one window history per clock (client, server, capture) and the per-clock counts. */
export const RewindStateSchema = Type.Object({
  histories: Type.Array(Type.Union([WindowHistoryStateSchema, Type.Null()]), { minItems: 3, maxItems: 3 }),
  requestsByClock: ClockCountsSchema,
  nearestByClock: ClockCountsSchema,
  unknownClock: CountSchema,
});

/** See {@link RewindStateSchema}. */
export type RewindState = Static<typeof RewindStateSchema>;

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

/** The clocks a shot's target can be in: the client's own, the server's (its messages' send times), the capture's. */
export type RewindClock = "client" | "server" | "capture";

/** {@link RewindClock}s by index, in the order a tie is broken (the client's clock first). */
const REWIND_CLOCKS: readonly RewindClock[] = ["client", "server", "capture"];
/** Share of the RTT an honest rewind includes, per clock: one way for the client's clock, a round trip otherwise. */
const RTT_SHARE_BY_CLOCK = [0.5, 1, 1];

/**
 * The clock most of the given sessions' targets are nearest to
 * ({@link RewindDetector.nearestClock} of each session, one vote per session;
 * undefined on a tie or without votes). A protocol puts its targets in one
 * clock, so this is the clock every session is judged in: a cheater whose
 * rewind happens to land near another clock (two clocks from nearby origins)
 * is still judged in the protocol's.
 */
export function protocolRewindClock(votes: Iterable<RewindClock | undefined>): RewindClock | undefined {
  const counts = [0, 0, 0];
  for (const vote of votes) if (vote !== undefined) counts[REWIND_CLOCKS.indexOf(vote)]! += 1;
  const best = Math.max(...counts);
  if (best === 0 || counts.filter((count) => count === best).length > 1) return undefined;
  return REWIND_CLOCKS[counts.indexOf(best)];
}

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
 * rewind. Each target is measured in every clock it could be in (one
 * {@link WindowHistory} per clock: bounded, whole session), and the session is
 * judged in one clock: the protocol's ({@link useClock}, decided over every
 * session by {@link protocolRewindClock}), else the clock most of its own
 * targets are nearest to. Never per shot: two clocks from nearby origins (u32
 * ms clocks starting just before their wrap) put a long rewind in one clock
 * close to an honest one in the other. The strongest run of windows whose
 * median excess is above `rewindToleranceMs`, or whose share beyond
 * `maxRewindMs` reaches `rewindMaxExceedFraction`, is the finding — wherever
 * in the capture it is.
 */
export class RewindDetector implements SessionDetector {
  /** Window histories per clock ({@link REWIND_CLOCKS} order), created on their first target. */
  private readonly histories: (WindowHistory | undefined)[] = [undefined, undefined, undefined];
  /** Targets measured per clock. */
  private readonly requestsByClock = [0, 0, 0];
  /** Targets nearest to each clock. */
  private readonly nearestByClock = [0, 0, 0];
  /** Index of the clock set by {@link useClock} (−1: this session's own nearest). */
  private protocolClock = -1;
  /** Targets in neither the client's nor the capture's clock (ignored). */
  unknownClock = 0;

  constructor(private readonly options: AnticheatOptions) {}

  /** The clock most of this session's targets are nearest to (undefined without targets; a tie goes to the earlier of client, server, capture). */
  get nearestClock(): RewindClock | undefined {
    const counts = this.nearestByClock;
    const best = Math.max(counts[0]!, counts[1]!, counts[2]!);
    return best === 0 ? undefined : REWIND_CLOCKS[counts.indexOf(best)];
  }

  /** Judges the session's targets in `clock` at {@link finish} (undefined: in its own {@link nearestClock}). */
  useClock(clock: RewindClock | undefined): void {
    this.protocolClock = clock === undefined ? -1 : REWIND_CLOCKS.indexOf(clock);
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
    // arrival of the claim so holding the datagram does not count). Each clock it can be
    // in gets the measurement; the nearest one gets this target's vote.
    const offsetUs = timeline.clockOffsetUs;
    const arrivalUs = Number.isNaN(claimedUs) || Number.isNaN(offsetUs) ? datagram.arrivalUs : Math.min(datagram.arrivalUs, claimedUs + offsetUs);
    const modulusUs = datagram.targetModulusUs;
    const client = Number.isNaN(claimedUs) ? Number.NaN : nearDifference(claimedUs, target, modulusUs);
    const server = Number.isNaN(timeline.serverClockOffsetUs) ? Number.NaN : nearDifference(arrivalUs - timeline.serverClockOffsetUs, target, modulusUs);
    const capture = nearDifference(arrivalUs, target, modulusUs);
    let nearest = Number.isNaN(client) ? -1 : 0;
    if (!Number.isNaN(server) && (nearest < 0 || Math.abs(server) < Math.abs(client))) nearest = 1;
    if (!Number.isNaN(capture) && (nearest < 0 || Math.abs(capture) < Math.abs(nearest === 0 ? client : server))) nearest = 2;
    if (nearest < 0) {
      this.unknownClock += 1;
      return;
    }
    this.nearestByClock[nearest]! += 1;
    this.measure(0, client, datagram, timeline);
    this.measure(1, server, datagram, timeline);
    this.measure(2, capture, datagram, timeline);
  }

  private history(clock: number): WindowHistory {
    let history = this.histories[clock];
    if (history === undefined) {
      const tolerance = this.options.rewindToleranceMs;
      const fraction = this.options.rewindMaxExceedFraction;
      history = new WindowHistory((medians, flaggedFraction) => medians[0]! > tolerance || flaggedFraction >= fraction, 2);
      this.histories[clock] = history;
    }
    return history;
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): RewindState {
    return {
      histories: this.histories.map((history) => (history === undefined ? null : history.saveState())),
      requestsByClock: [...this.requestsByClock],
      nearestByClock: [...this.nearestByClock],
      unknownClock: this.unknownClock,
    };
  }

  /** True when a saved state fits this detector (channels). */
  stateFits(state: RewindState): boolean {
    const probe = new WindowHistory(() => false, 2);
    return state.histories.every((history) => history === null || probe.stateFits(history));
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: RewindState, packetIndexOffset: number): void {
    state.histories.forEach((saved, clock) => {
      if (saved !== null) this.history(clock).loadState(saved, packetIndexOffset);
    });
    for (let clock = 0; clock < 3; clock++) {
      this.requestsByClock[clock] = state.requestsByClock[clock]!;
      this.nearestByClock[clock] = state.nearestByClock[clock]!;
    }
    this.unknownClock = state.unknownClock;
  }

  /** Continues with the same session's detector after a rotation cut: each clock's history continues, counts add. */
  continueWith(later: RewindDetector): void {
    for (let clock = 0; clock < 3; clock++) {
      const laterHistory = later.histories[clock];
      if (laterHistory !== undefined) this.history(clock).continueWith(laterHistory);
      this.requestsByClock[clock]! += later.requestsByClock[clock]!;
      this.nearestByClock[clock]! += later.nearestByClock[clock]!;
    }
    this.unknownClock += later.unknownClock;
  }

  private measure(clock: number, differenceUs: number, datagram: ClientDatagram, timeline: SessionTimeline): void {
    if (Number.isNaN(differenceUs)) return;
    const history = this.history(clock);
    const rewindMs = differenceUs / 1000;
    this.requestsByClock[clock]! += 1;
    const rttMs = timeline.smoothedRttMs;
    const excess = Number.isNaN(rttMs) ? Number.NEGATIVE_INFINITY : rewindMs - this.options.interpolationDelayMs - rttMs * RTT_SHARE_BY_CLOCK[clock]!;
    history.add(datagram.arrivalUs, datagram.packetIndex, rewindMs > this.options.maxRewindMs, excess, rewindMs);
  }

  finish(_timeline: SessionTimeline, events: DetectorEvent[]): void {
    const own = this.nearestClock;
    let clock = this.protocolClock;
    if (clock < 0 || this.histories[clock] === undefined) clock = own === undefined ? -1 : REWIND_CLOCKS.indexOf(own);
    const history = clock < 0 ? undefined : this.histories[clock];
    if (history === undefined) return;
    history.flush();
    const run = history.strongestRun();
    if (run === undefined || run.samples < this.options.rewindMinSamples) return;
    const medianExcess = run.medians[0]!;
    const beyondFraction = run.flagged / run.samples;
    const inconsistent = medianExcess > this.options.rewindToleranceMs;
    const beyond = beyondFraction >= this.options.rewindMaxExceedFraction;
    if (!inconsistent && !beyond) return;
    const strength = inconsistent ? medianExcess / this.options.rewindToleranceMs - 1 : beyondFraction / this.options.rewindMaxExceedFraction - 1;
    const excessText = Number.isFinite(medianExcess) ? round3(medianExcess) : "unknown";
    const outside = history.baselineMedian();
    const whole = run.samples === history.samples;
    events.push({
      kind: "rewindAbuse",
      startUs: run.startUs,
      endUs: run.endUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, strength) + (inconsistent && beyond ? 0.09 : 0))),
      summary:
        `Client asks for a median rewind of ${round3(run.medians[1]!)} ms, ${excessText} ms beyond interpolation + ${clock === 0 ? "RTT/2" : "RTT"} ` +
        `(targets in the ${REWIND_CLOCKS[clock]}'s clock; ${run.samples} requests over ${run.windows} 10-s window(s)${whole ? ", the whole session" : Number.isFinite(outside) ? `; ${round3(outside)} ms in the other windows` : ""}); ` +
        `${run.flagged} of them exceed the ${this.options.maxRewindMs} ms window.`,
      values: {
        medianRewindMs: round3(run.medians[1]!),
        medianExcessMs: excessText,
        toleranceMs: this.options.rewindToleranceMs,
        requests: run.samples,
        windows: run.windows,
        beyondWindow: run.flagged,
        compensationWindowMs: this.options.maxRewindMs,
        sessionRequests: this.requestsByClock[clock]!,
        targetClock: REWIND_CLOCKS[clock]!,
        outsideRunExcessMs: Number.isFinite(outside) ? round3(outside) : "none",
      },
      packetIndices: [...run.packetIndices],
    });
  }
}
