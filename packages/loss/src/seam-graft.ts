import type { LossPatternState } from "./gilbert-elliott-fit.js";
import type { LogHistogramState, RunLengthState } from "./histogram.js";
import type { InputCoverageState } from "./input-coverage.js";
import type { Rfc3550State } from "./rfc3550-sequence.js";
import { MAX_ARRIVAL_GAPS, type RunState, type SequenceSpaceState } from "./sequence-space.js";
import { decodeSeries, type SparseCounts } from "./state-encoding.js";

/**
 * Grafting a later pass onto an earlier one at a rotation cut. Names:
 * `a` = the earlier pass's state with the later pass's head replayed onto it
 * (what one pass had at the later pass's checkpoint), `h` = the later pass's
 * own state at its checkpoint, `b` = the later pass's state at its end. After
 * the checkpoint both passes saw the same events from the same window, so the
 * result is `b` for everything open (window, pending jump, runs in progress)
 * and `a + (b − h)` for everything counted. `exact` says whether `a` and `h`
 * really agreed at the checkpoint (same open window, same pending jump, same
 * run polarity, same pattern register): when not, the counts are still added
 * that way, as the best estimate, and the caller reports the seam.
 */
export interface Grafted<State> {
  state: State;
  exact: boolean;
}

/** Adds sparse counts: a + b − h (zero entries dropped). */
function sparse(a: SparseCounts, b: SparseCounts, h: SparseCounts): SparseCounts {
  const totals = new Map<number, number>();
  for (const [index, count] of a) totals.set(index, (totals.get(index) ?? 0) + count);
  for (const [index, count] of b) totals.set(index, (totals.get(index) ?? 0) + count);
  for (const [index, count] of h) totals.set(index, (totals.get(index) ?? 0) - count);
  return [...totals.entries()].filter(([, count]) => count !== 0).sort((left, right) => left[0] - right[0]);
}

/**
 * a + (b − h) for a log histogram. The maximum is `b`'s when it grew after the
 * checkpoint, else `a`'s (the head's values are in both, so a larger
 * post-checkpoint value below `h.max` is the one case it can miss).
 */
export function graftLogHistogram(a: LogHistogramState, h: LogHistogramState, b: LogHistogramState): LogHistogramState {
  return {
    count: a.count + b.count - h.count,
    sum: a.sum + (b.sum - h.sum),
    max: b.max > h.max ? Math.max(a.max, b.max) : a.max,
    buckets: sparse(a.buckets, b.buckets, h.buckets),
  };
}

function changeRun(state: RunLengthState, length: number, sign: number): void {
  state.count += sign;
  state.totalLength += sign * length;
  if (sign > 0 && length > state.maxLength) state.maxLength = length;
  if (length > state.exactLimit) {
    state.overflowCount += sign;
    state.overflowLength += sign * length;
    return;
  }
  const entry = state.counts.find(([index]) => index === length);
  if (entry !== undefined) entry[1] += sign;
  else state.counts.push([length, sign]);
  state.counts = state.counts.filter(([, count]) => count !== 0).sort((left, right) => left[0] - right[0]);
}

/** Largest run of a body histogram (b − h): b's maximum when it grew after the checkpoint, else from the exact counts. */
function bodyMaxLength(body: RunLengthState, h: RunLengthState, b: RunLengthState): number {
  if (b.maxLength > h.maxLength) return b.maxLength;
  if (body.overflowCount > 0) return b.maxLength;
  let longest = 0;
  for (const [length, count] of body.counts) if (count > 0 && length > longest) longest = length;
  return longest;
}

/** a + (b − h) for a run-length histogram. */
export function graftRuns(a: RunLengthState, h: RunLengthState, b: RunLengthState): RunLengthState {
  const body: RunLengthState = {
    exactLimit: b.exactLimit,
    count: b.count - h.count,
    totalLength: b.totalLength - h.totalLength,
    maxLength: 0,
    overflowCount: b.overflowCount - h.overflowCount,
    overflowLength: b.overflowLength - h.overflowLength,
    counts: sparse([], b.counts, h.counts),
  };
  return {
    exactLimit: b.exactLimit,
    count: a.count + body.count,
    totalLength: a.totalLength + body.totalLength,
    maxLength: Math.max(a.maxLength, bodyMaxLength(body, h, b)),
    overflowCount: a.overflowCount + body.overflowCount,
    overflowLength: a.overflowLength + body.overflowLength,
    counts: sparse(a.counts, body.counts, []),
  };
}

/** a + (b − h) for pattern counts; the register (the last slots) is b's. */
export function graftPatterns(a: LossPatternState, h: LossPatternState, b: LossPatternState): LossPatternState {
  return {
    patternLength: b.patternLength,
    patterns: sparse(a.patterns, b.patterns, h.patterns),
    transitions: b.transitions.map((value, index) => a.transitions[index]! + value - h.transitions[index]!),
    register: b.register,
    filled: b.filled,
    previous: b.previous,
  };
}

const EMPTY_RUNS = (exactLimit: number): RunLengthState => ({ exactLimit, count: 0, totalLength: 0, maxLength: 0, overflowCount: 0, overflowLength: 0, counts: [] });
const EMPTY_PATTERNS = (patternLength: number): LossPatternState => ({
  patternLength,
  patterns: [],
  transitions: [0, 0, 0, 0],
  register: 0,
  filled: 0,
  previous: -1,
});

function sameRun(a: RunState, h: RunState): boolean {
  return (a.length === 0 && h.length === 0) || (a.length > 0 && h.length > 0 && a.lost === h.lost);
}

/**
 * Lengthens the run that was in progress at the checkpoint by what the
 * earlier pass had of it (`a.length − h.length`): in the histogram when it
 * ended after the checkpoint (`flushed`), else in the run still in progress.
 */
function continueRun(
  runs: { lossRuns: RunLengthState; receiveRuns: RunLengthState },
  a: RunState,
  h: RunState,
  flushed: RunState | null,
  open: RunState,
): { run: RunState; flushedRun: RunState | null } {
  const extra = a.length - h.length;
  if (extra === 0 || h.length === 0) return { run: open, flushedRun: flushed };
  if (flushed === null) return { run: { lost: open.lost, length: open.length + extra }, flushedRun: null };
  const histogram = flushed.lost ? runs.lossRuns : runs.receiveRuns;
  changeRun(histogram, flushed.length, -1);
  changeRun(histogram, flushed.length + extra, 1);
  return { run: open, flushedRun: { lost: flushed.lost, length: flushed.length + extra } };
}

function openSlots(state: SequenceSpaceState): number {
  return state.started ? state.highest - state.segmentBase + 1 : 0;
}

function sameWindow(a: SequenceSpaceState, h: SequenceSpaceState): boolean {
  if (a.started !== h.started || a.bits !== h.bits || String(a.highestRaw) !== String(h.highestRaw)) return false;
  if (a.highest - a.finalizeFrom !== h.highest - h.finalizeFrom) return false;
  if (a.finalizeFrom <= a.segmentBase || h.finalizeFrom <= h.segmentBase) return false;
  if (a.window.flags !== h.window.flags) return false;
  const timesA = decodeSeries(a.window.timesUs);
  const timesH = decodeSeries(h.window.timesUs);
  if (timesA.some((value, index) => value !== timesH[index])) return false;
  if ((a.window.ackCounts === null) !== (h.window.ackCounts === null)) return false;
  if (a.window.ackCounts !== null && a.window.ackCounts.some((value, index) => value !== h.window.ackCounts![index])) return false;
  if ((a.pending === null) !== (h.pending === null)) return false;
  if (a.pending !== null && (String(a.pending.raw) !== String(h.pending!.raw) || a.pending.tUs !== h.pending!.tUs || a.pending.reason !== h.pending!.reason)) {
    return false;
  }
  if (a.lastArrivalUs !== h.lastArrivalUs) return false;
  if (a.patterns.register !== h.patterns.register || a.patterns.filled !== h.patterns.filled || a.patterns.previous !== h.patterns.previous) return false;
  if ((a.ack === null) !== (h.ack === null)) return false;
  if (a.ack !== null && (a.ack.patterns.register !== h.ack!.patterns.register || a.ack.patterns.filled !== h.ack!.patterns.filled)) return false;
  return sameRun(a.run, h.run) && sameRun(a.ackRun, h.ackRun);
}

/** Keeps the {@link MAX_ARRIVAL_GAPS} largest gaps, as the space does. */
function noteGap(gaps: { tUs: number; skipped: number }[], gap: { tUs: number; skipped: number }): void {
  if (gaps.length < MAX_ARRIVAL_GAPS) {
    gaps.push({ ...gap });
    return;
  }
  let smallest = 0;
  for (let index = 1; index < gaps.length; index++) if (gaps[index]!.skipped < gaps[smallest]!.skipped) smallest = index;
  if (gap.skipped > gaps[smallest]!.skipped) gaps[smallest] = { ...gap };
}

/** Grafts a sequence space (packet indices of `h` and `b` already placed). */
export function graftSpace(a: SequenceSpaceState, h: SequenceSpaceState, b: SequenceSpaceState, maxResetCandidates: number): Grafted<SequenceSpaceState> {
  const exact = sameWindow(a, h);
  const add = (key: keyof SequenceSpaceState): number => (a[key] as number) + (b[key] as number) - (h[key] as number);
  const expected = a.expectedClosed + openSlots(a) + (b.expectedClosed + openSlots(b) - h.expectedClosed - openSlots(h));
  const runs = { lossRuns: graftRuns(a.lossRuns, h.lossRuns, b.lossRuns), receiveRuns: graftRuns(a.receiveRuns, h.receiveRuns, b.receiveRuns) };
  const continued = continueRun(runs, a.run, h.run, b.marked?.run ?? null, b.run);
  let ack = b.ack;
  let ackRun = b.ackRun;
  let flushedAckRun = b.marked?.ackRun ?? null;
  if (b.ack !== null) {
    const limit = b.ack.lossRuns.exactLimit;
    const aAck = a.ack ?? { lossRuns: EMPTY_RUNS(limit), receiveRuns: EMPTY_RUNS(limit), patterns: EMPTY_PATTERNS(b.ack.patterns.patternLength) };
    const hAck = h.ack ?? { lossRuns: EMPTY_RUNS(limit), receiveRuns: EMPTY_RUNS(limit), patterns: EMPTY_PATTERNS(b.ack.patterns.patternLength) };
    const ackRuns = { lossRuns: graftRuns(aAck.lossRuns, hAck.lossRuns, b.ack.lossRuns), receiveRuns: graftRuns(aAck.receiveRuns, hAck.receiveRuns, b.ack.receiveRuns) };
    const ackContinued = continueRun(ackRuns, a.ackRun, h.ackRun, flushedAckRun, b.ackRun);
    ackRun = ackContinued.run;
    flushedAckRun = ackContinued.flushedRun;
    ack = { ...ackRuns, patterns: graftPatterns(aAck.patterns, hAck.patterns, b.ack.patterns) };
  } else if (a.ack !== null) {
    ack = a.ack;
  }
  const gaps = a.arrivalGaps.map((gap) => ({ ...gap }));
  const headGaps = new Map<string, number>();
  for (const gap of h.arrivalGaps) headGaps.set(`${gap.tUs}/${gap.skipped}`, (headGaps.get(`${gap.tUs}/${gap.skipped}`) ?? 0) + 1);
  for (const gap of [...b.arrivalGaps].sort((left, right) => left.tUs - right.tUs)) {
    const key = `${gap.tUs}/${gap.skipped}`;
    const inHead = headGaps.get(key) ?? 0;
    if (inHead > 0) headGaps.set(key, inHead - 1);
    else noteGap(gaps, gap);
  }
  const state: SequenceSpaceState = {
    ...b,
    expectedClosed: expected - openSlots(b),
    minTransitUs: Math.min(Number(a.minTransitUs), Number(b.minTransitUs)) === Number.POSITIVE_INFINITY ? "Infinity" : Math.min(Number(a.minTransitUs), Number(b.minTransitUs)),
    run: continued.run,
    ackRun,
    received: add("received"),
    lost: add("lost"),
    duplicates: add("duplicates"),
    reordered: add("reordered"),
    late: add("late"),
    strays: add("strays"),
    resetCount: add("resetCount"),
    resetCandidates: [...a.resetCandidates, ...b.resetCandidates.slice(h.resetCandidates.length)].slice(0, maxResetCandidates),
    gapPacketIndices: [...a.gapPacketIndices, ...b.gapPacketIndices.slice(h.gapPacketIndices.length)].slice(0, 5),
    arrivalGaps: gaps,
    resendCounts: b.resendCounts.map((value, index) => a.resendCounts[index]! + value - h.resendCounts[index]!),
    ...runs,
    patterns: graftPatterns(a.patterns, h.patterns, b.patterns),
    stallUs: graftLogHistogram(a.stallUs, h.stallUs, b.stallUs),
    retransmissionDelayUs: graftLogHistogram(a.retransmissionDelayUs, h.retransmissionDelayUs, b.retransmissionDelayUs),
    ackCovered: add("ackCovered"),
    ackAcknowledged: add("ackAcknowledged"),
    ackLost: add("ackLost"),
    ackMentions: add("ackMentions"),
    acksBeyondHighest: add("acksBeyondHighest"),
    ack,
    marked: a.marked === null ? null : { run: a.marked.run ?? continued.flushedRun, ackRun: a.marked.ackRun ?? flushedAckRun },
  };
  return { state, exact };
}

/** Grafts an RFC 3550 counter: base and cycles continue from `a`, the rest is `b`'s. */
export function graftRfc3550(a: Rfc3550State, h: Rfc3550State, b: Rfc3550State): Grafted<Rfc3550State> {
  const exact = a.maxSequence === h.maxSequence && a.badSequence === h.badSequence && b.baseSequence === h.baseSequence && b.cycles >= h.cycles;
  return { state: { ...b, baseSequence: a.baseSequence, cycles: a.cycles + b.cycles - h.cycles, received: a.received + b.received - h.received }, exact };
}

function inputOpen(state: InputCoverageState): number {
  return state.started ? state.highest - state.base + 1 : 0;
}

/** Grafts an input tracker (any of the three may be missing: a tracker is created on the first input). */
export function graftInput(a: InputCoverageState | null, h: InputCoverageState | null, b: InputCoverageState | null): Grafted<InputCoverageState | null> {
  if (b === null) return { state: a, exact: h === null };
  if (a === null && h === null) return { state: b, exact: true };
  if (a === null || h === null) return { state: a === null ? b : appendInput(a, b), exact: false };
  const exact =
    a.started === h.started &&
    String(a.highestRaw) === String(h.highestRaw) &&
    a.highest - a.finalizeFrom === h.highest - h.finalizeFrom &&
    a.window === h.window &&
    a.finalizeFrom > a.base &&
    h.finalizeFrom > h.base;
  const expected = a.expectedClosed + inputOpen(a) + (b.expectedClosed + inputOpen(b) - h.expectedClosed - inputOpen(h));
  return {
    state: {
      ...b,
      expectedClosed: expected - inputOpen(b),
      redundancyCounts: sparse(a.redundancyCounts, b.redundancyCounts, h.redundancyCounts),
      lost: a.lost + b.lost - h.lost,
      resets: a.resets + b.resets - h.resets,
      messages: a.messages + b.messages - h.messages,
      bytes: a.bytes + b.bytes - h.bytes,
    },
    exact,
  };
}

/**
 * `b` after `a` as a new segment (no shared inputs): the fallback when a seam
 * cannot be replayed, and the direction-level inputs (no sequence role).
 * `a`'s open inputs count as final (lost when never carried).
 */
export function appendInput(a: InputCoverageState, b: InputCoverageState): InputCoverageState {
  const openLost = a.started ? [...a.window].filter((digit) => digit === "0").length : 0;
  return {
    ...b,
    expectedClosed: a.expectedClosed + inputOpen(a) + b.expectedClosed,
    redundancyCounts: sparse(a.redundancyCounts, b.redundancyCounts, []),
    lost: a.lost + openLost + b.lost,
    resets: a.resets + b.resets + (a.started && b.started ? 1 : 0),
    messages: a.messages + b.messages,
    bytes: a.bytes + b.bytes,
  };
}
