import { Type, type Static } from "@sinclair/typebox";
import type { ClientDatagram } from "../client-datagram.js";
import { decodeFloat, EncodedFloatSchema, encodeFloat } from "../state-encoding.js";
import { round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";
import { WINDOW_SAMPLE, WindowHistory, WindowHistoryStateSchema } from "../window-history.js";

/** Action types judged per session. */
const MAX_TYPES = 8;
/** A reference (command-only) datagram older than this is not paired, µs. */
const PAIR_WINDOW_US = 250_000;

/** Saved state of a {@link SelectiveDelayDetector}: the pairing reference and one window history per action type. */
export const SelectiveDelayStateSchema = Type.Object({
  referenceArrivalUs: EncodedFloatSchema,
  referenceClaimedUs: EncodedFloatSchema,
  types: Type.Array(Type.Object({ type: Type.String({ maxLength: 256 }), history: WindowHistoryStateSchema }), { maxItems: MAX_TYPES }),
});

/** See {@link SelectiveDelayStateSchema}. */
export type SelectiveDelayState = Static<typeof SelectiveDelayStateSchema>;

/**
 * Fake lag on actions (selective delay): a client that holds back the
 * datagrams carrying its shots (or pongs) and sends its movement on time.
 * Each datagram's age is its arrival minus what it claims — the newest
 * `sendTime`/`tick` it carries, so a shot riding in the same datagram as the
 * newest input is measured against that input's time — minus the session's
 * fastest-path offset. Every action datagram is paired with the player's own
 * command-only datagram that arrived just before it (path changes, queueing
 * and clock drift cancel), and the paired differences are judged per 10-s
 * window through a {@link WindowHistory}: the strongest run of windows whose
 * median extra delay exceeds `selectiveDelayMinMs` is a finding when its
 * pooled median also clears 2 robust standard errors. Honest jitter shifts
 * both datagrams alike (median difference ≈ 0); a stall holds both.
 */
export class SelectiveDelayDetector implements SessionDetector {
  /** The last command-only datagram (the pairing reference): arrival and claimed time, µs. */
  private referenceArrivalUs = Number.NaN;
  private referenceClaimedUs = Number.NaN;
  private readonly types = new Map<string, WindowHistory>();
  private readonly judge: (medians: readonly number[]) => boolean;

  constructor(private readonly options: AnticheatOptions) {
    const minimum = options.selectiveDelayMinMs;
    this.judge = (medians) => medians[0]! > minimum;
  }

  /** Judges one closed client datagram. */
  onClientDatagram(datagram: ClientDatagram, timeline: SessionTimeline): void {
    const claimedUs = datagram.claimedUs;
    if (Number.isNaN(claimedUs)) return;
    const actionCount = datagram.actionTypeCount;
    if (actionCount === 0) {
      // Reference: only remembered here (the hot path); its age is computed when an action pairs with it.
      if (datagram.hasCommand) {
        this.referenceArrivalUs = datagram.arrivalUs;
        this.referenceClaimedUs = claimedUs;
      }
      return;
    }
    if (!(datagram.arrivalUs - this.referenceArrivalUs <= PAIR_WINDOW_US)) return;
    const ageUs = timeline.ageUs(datagram.arrivalUs, claimedUs);
    if (Number.isNaN(ageUs)) return;
    const referenceAgeUs = timeline.ageUs(this.referenceArrivalUs, this.referenceClaimedUs);
    const differenceMs = (ageUs - referenceAgeUs) / 1000;
    const actions = datagram.actionTypes;
    for (let index = 0; index < actionCount; index++) {
      const type = actions[index]!;
      let history = this.types.get(type);
      if (history === undefined) {
        if (this.types.size >= MAX_TYPES) continue;
        history = new WindowHistory(this.judge, 3);
        this.types.set(type, history);
      }
      // Numbers through WINDOW_SAMPLE (not boxed as arguments).
      WINDOW_SAMPLE[0] = datagram.arrivalUs;
      WINDOW_SAMPLE[1] = differenceMs;
      WINDOW_SAMPLE[2] = referenceAgeUs / 1000;
      WINDOW_SAMPLE[3] = ageUs / 1000;
      history.addSample(datagram.packetIndex, false);
    }
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): SelectiveDelayState {
    return {
      referenceArrivalUs: encodeFloat(this.referenceArrivalUs),
      referenceClaimedUs: encodeFloat(this.referenceClaimedUs),
      types: [...this.types].map(([type, history]) => ({ type, history: history.saveState() })),
    };
  }

  /** True when a saved state fits this detector (distinct types, channels). */
  stateFits(state: SelectiveDelayState): boolean {
    const probe = new WindowHistory(this.judge, 3);
    return new Set(state.types.map((entry) => entry.type)).size === state.types.length && state.types.every((entry) => probe.stateFits(entry.history));
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: SelectiveDelayState, packetIndexOffset: number): void {
    this.referenceArrivalUs = decodeFloat(state.referenceArrivalUs);
    this.referenceClaimedUs = decodeFloat(state.referenceClaimedUs);
    this.types.clear();
    for (const entry of state.types) {
      const history = new WindowHistory(this.judge, 3);
      history.loadState(entry.history, packetIndexOffset);
      this.types.set(entry.type, history);
    }
  }

  /** Continues with the same session's detector after a rotation cut: each action type's history continues (see {@link WindowHistory.continueWith}). */
  continueWith(later: SelectiveDelayDetector): void {
    for (const [type, laterHistory] of later.types) {
      let history = this.types.get(type);
      if (history === undefined) {
        if (this.types.size >= MAX_TYPES) continue;
        history = new WindowHistory(this.judge, 3);
        this.types.set(type, history);
      }
      history.continueWith(laterHistory);
    }
    if (!Number.isNaN(later.referenceArrivalUs)) {
      this.referenceArrivalUs = later.referenceArrivalUs;
      this.referenceClaimedUs = later.referenceClaimedUs;
    }
  }

  /** Appends one `fakeLatency` event per action type held back selectively. */
  finish(_timeline: SessionTimeline, events: DetectorEvent[]): void {
    for (const type of [...this.types.keys()].sort()) {
      const history = this.types.get(type)!;
      history.flush();
      const run = history.strongestRun();
      if (run === undefined || run.samples < this.options.latencyMinSamples) continue;
      const extra = run.medians[0]!;
      const threshold = this.options.selectiveDelayMinMs + 2 * run.standardError;
      if (!(extra > threshold)) continue;
      const outside = history.baselineMedian();
      const whole = run.samples === history.samples;
      events.push({
        kind: "fakeLatency",
        startUs: run.startUs,
        endUs: run.endUs,
        confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, extra / threshold - 1))),
        summary:
          `Datagrams carrying ${type} arrive ${round3(extra)} ms later than the player's other datagrams sent just before them ` +
          `(median of ${run.samples} pairs over ${run.windows} 10-s window(s)${whole ? ", the whole session" : `; ${Number.isNaN(outside) ? "no other windows" : `${round3(outside)} ms in the other windows`}`}): ` +
          `${round3(run.medians[2]!)} ms vs ${round3(run.medians[1]!)} ms beyond the fastest path — they are held back selectively (fake lag).`,
        values: {
          messageType: type,
          medianExtraDelayMs: round3(extra),
          thresholdMs: round3(threshold),
          pairs: run.samples,
          windows: run.windows,
          actionDatagramAgeMs: round3(run.medians[2]!),
          otherDatagramAgeMs: round3(run.medians[1]!),
          outsideRunExtraDelayMs: Number.isNaN(outside) ? "none" : round3(outside),
          sessionPairs: history.samples,
        },
        packetIndices: [...run.packetIndices],
      });
    }
  }
}
