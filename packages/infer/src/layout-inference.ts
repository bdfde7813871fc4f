import { ackBitsTest, ackTest, ackWalk, MAX_ACK_LAG } from "./ack-tests.js";
import { byteStatistics, payloadEntropyBits, type ByteStatistics } from "./byte-statistics.js";
import { candidateStatistics, CLOCK_TOLERANCE_MS, streamFacts, type CandidateStatistics } from "./candidate-statistics.js";
import { clockUnitOf } from "./clock-unit.js";
import { peerStream, type DirectionStream } from "./direction-stream.js";
import { CANDIDATE_WIDTHS, leastSignificantByte, shapeLabel, type FieldShape } from "./field-shape.js";
import { confidenceOf, type InferredField } from "./inferred-field.js";
import { log10NullProbability, MAX_LOG10_NULL_PROBABILITY, testEvidence, type TestEvidence } from "./null-hypothesis.js";

/** Options of {@link inferLayout}. */
export interface LayoutOptions {
  /** Candidate offsets are 0 … maxOffset − 1 (default 48). */
  maxOffset?: number;
}

/** Fixed-offset fields found in a set of streams, and why others were not. */
export interface LayoutResult {
  /** Fields, by offset. */
  fields: InferredField[];
  /** Notes on what was tested and not found (the "nothing found" evidence). */
  notes: string[];
  /** End of the last field (0 when none). */
  headerEnd: number;
  /** Datagrams tested. */
  datagrams: number;
  /** Entropy of the bytes after the header, bits per byte (8 = random or encrypted). */
  entropyBitsPerByte: number;
  /** Bytes the entropy was measured on. */
  entropyBytes: number;
}

/** Fewest consecutive pairs for a sequence or ack test. */
export const MIN_SEQUENCE_PAIRS = 6;
/** Fewest consecutive pairs for a clock fit. */
export const MIN_CLOCK_PAIRS = 8;
/** Fewest datagrams for a constant or length field. */
export const MIN_FIELD_DATAGRAMS = 8;

interface Scored {
  shape: FieldShape;
  log10: number;
  support: number;
  evidence: TestEvidence[];
  sentence: string;
  extra?: Partial<InferredField>;
  baseLog10?: number;
}

function overlaps(shape: FieldShape, claimed: Uint8Array): boolean {
  for (let index = shape.offset; index < shape.offset + shape.bytes; index++) if (claimed[index]) return true;
  return false;
}

function claim(shape: FieldShape, claimed: Uint8Array): void {
  for (let index = shape.offset; index < shape.offset + shape.bytes; index++) claimed[index] = 1;
}

/**
 * Whether a counter may be widened over this byte: it is zero, or changes
 * slowly within a session (a carry), or differs between sessions (a
 * counter's high byte from a random start). A byte constant in every session with one value is
 * another field (a magic, a version).
 */
function extendable(statistics: ByteStatistics, slow: boolean): boolean {
  if (statistics.constantValue === 0) return true;
  if (statistics.constantValue !== undefined) return false;
  if (statistics.constantPerSession) return statistics.sessionValues >= 2;
  // a counter's higher byte (or a sender clock's, different per host) is slow; message content jumps
  return slow;
}

/**
 * For each family of nested candidates (same least significant byte and byte
 * order), the widest one whose bytes beyond the narrowest are zero or vary
 * (a constant non-zero byte next to a counter is another field, e.g. a magic).
 */
export function widestInFamilies(passing: readonly Scored[], bytes: readonly ByteStatistics[], slowAt: (offset: number) => boolean, preferBytes?: number): Scored[] {
  const families = new Map<string, Scored[]>();
  for (const candidate of passing) {
    const orders = candidate.shape.bytes === 1 ? [false, true] : [candidate.shape.littleEndian];
    for (const littleEndian of orders) {
      const key = `${leastSignificantByte(candidate.shape)}:${littleEndian}`;
      let family = families.get(key);
      if (family === undefined) families.set(key, (family = []));
      family.push(candidate);
    }
  }
  const chosen = new Set<Scored>();
  for (const family of families.values()) {
    family.sort((a, b) => a.shape.bytes - b.shape.bytes);
    const base = family[0]!;
    let best = base;
    const preferred = family.find((member) => member.shape.bytes === preferBytes && member.support >= base.support - 0.02);
    if (preferred !== undefined) {
      chosen.add({ ...preferred, baseLog10: base.log10 });
      continue;
    }
    for (const wider of family.slice(1)) {
      let extends_ = true;
      for (let index = wider.shape.offset; index < wider.shape.offset + wider.shape.bytes; index++) {
        if (index >= base.shape.offset && index < base.shape.offset + base.shape.bytes) continue;
        const statistics = bytes[index];
        if (statistics === undefined || !extendable(statistics, slowAt(index))) extends_ = false;
      }
      // widening must not break the test: bytes that change the verdict belong to another field
      if (wider.support < base.support - 0.02) continue;
      if (extends_) best = wider;
    }
    chosen.add({ ...best, baseLog10: base.log10 });
  }
  return [...chosen].sort((a, b) => a.log10 - b.log10 || b.support - a.support || b.shape.bytes - a.shape.bytes);
}

function pick(candidates: readonly Scored[], claimed: Uint8Array, limit = Number.POSITIVE_INFINITY): Scored[] {
  const picked: Scored[] = [];
  for (const candidate of candidates) {
    if (picked.length >= limit) break;
    if (overlaps(candidate.shape, claimed)) continue;
    claim(candidate.shape, claimed);
    picked.push(candidate);
  }
  return picked;
}

function directionLabel(direction: string): string {
  return direction === "clientToServer" ? "client→server" : "server→client";
}

/** Sequence test of one direction's statistics: +1 per datagram, loss and reorder tolerated, not tied to elapsed time. */
function sequenceVerdict(statistics: CandidateStatistics): boolean {
  if (statistics.pairs < MIN_SEQUENCE_PAIRS) return false;
  const steps = statistics.pairs;
  // duplicates (a resent datagram captured twice) step by 0; a slow clock does so far more often
  if (statistics.plusOne / steps < 0.5 || statistics.nearSteps / steps < 0.85 || statistics.zeroSteps / steps > 0.35) return false;
  // a clock steps by the elapsed time: after a long silence it jumps; a sequence still steps by 1
  if (statistics.longGapPairs >= 10 && statistics.longGapPlusOne / statistics.longGapPairs < 0.5) return false;
  return statistics.distinctValues >= 3;
}

/** Clock test of one direction's statistics: never steps back, linear in capture time. */
function clockVerdict(statistics: CandidateStatistics): boolean {
  if (statistics.pairs < MIN_CLOCK_PAIRS || statistics.spanUs < 1_000_000 || !(statistics.slopePerUs > 0)) return false;
  if (statistics.nonDecreasing / statistics.pairs < 0.95 || statistics.increasing / statistics.pairs < 0.3) return false;
  return statistics.residualMedianMs <= 50 && statistics.residualP90Ms <= CLOCK_TOLERANCE_MS && statistics.distinctValues >= 5;
}

/**
 * Fraction of consecutive datagrams (per stream) in which the byte at each
 * offset stays or moves by one: the most significant byte of a counter, clock,
 * ack or length field is slow; a byte of random or payload data is not (3/256).
 */
function byteSlowness(streams: readonly DirectionStream[], offsets: number): Float64Array {
  const slow = new Float64Array(offsets);
  const pairs = new Float64Array(offsets);
  for (const stream of streams) {
    for (let index = 1; index < stream.payloads.length; index++) {
      const previous = stream.payloads[index - 1]!;
      const current = stream.payloads[index]!;
      const end = Math.min(offsets, previous.length, current.length);
      for (let offset = 0; offset < end; offset++) {
        pairs[offset] += 1;
        const step = (current[offset]! - previous[offset]! + 256) % 256;
        if (step <= 1 || step === 255) slow[offset] += 1;
      }
    }
  }
  for (let offset = 0; offset < offsets; offset++) slow[offset] = pairs[offset]! === 0 ? 1 : slow[offset]! / pairs[offset]!;
  return slow;
}

/**
 * Candidate shapes: every offset × width × byte order that fits, except
 * multi-byte shapes whose most significant byte is not slow (see
 * {@link byteSlowness}): no counter, clock, ack or length has a fast top byte.
 */
function shapesUpTo(maxOffset: number, lengthLimit: number, slowAt: (offset: number) => boolean): FieldShape[] {
  const shapes: FieldShape[] = [];
  for (let offset = 0; offset < maxOffset; offset++) {
    for (const bytes of CANDIDATE_WIDTHS) {
      if (offset + bytes > lengthLimit) continue;
      if (bytes === 1 || slowAt(offset)) shapes.push({ offset, bytes, littleEndian: false });
      if (bytes > 1 && slowAt(offset + bytes - 1)) shapes.push({ offset, bytes, littleEndian: true });
    }
  }
  return shapes;
}

function lengthPercentile(streams: readonly DirectionStream[], fraction: number): number {
  const lengths: number[] = [];
  for (const stream of streams) for (const payload of stream.payloads) lengths.push(payload.length);
  lengths.sort((a, b) => a - b);
  return lengths.length === 0 ? 0 : lengths[Math.floor(fraction * (lengths.length - 1))]!;
}

function splitRun(start: number, end: number): FieldShape[] {
  const shapes: FieldShape[] = [];
  let offset = start;
  while (offset < end) {
    const left = end - offset;
    const bytes = left >= 4 ? 4 : left >= 2 ? 2 : 1;
    shapes.push({ offset, bytes, littleEndian: false });
    offset += bytes;
  }
  return shapes;
}

function bigEndianValue(bytes: readonly ByteStatistics[], shape: FieldShape, valueOf: (statistics: ByteStatistics) => number): number {
  let value = 0;
  for (let index = shape.offset; index < shape.offset + shape.bytes; index++) value = value * 256 + valueOf(bytes[index]!);
  return value;
}

function hex(value: number, bytes: number): string {
  return `0x${value.toString(16).padStart(bytes * 2, "0")}`;
}

function asciiOf(value: number, bytes: number): string | undefined {
  let text = "";
  for (let index = bytes - 1; index >= 0; index--) {
    const code = Math.floor(value / 256 ** index) % 256;
    if (code < 0x20 || code > 0x7e) return undefined;
    text += String.fromCharCode(code);
  }
  return text;
}

/**
 * Infers the fixed-offset header fields of one protocol from its sampled
 * streams: sequences, acks and ack bits, sender clocks, length fields,
 * magics, constants, session ids and a message-type byte. Every field is kept
 * only when random bytes would pass its test with a probability below
 * 10^−9 ({@link MAX_LOG10_NULL_PROBABILITY}).
 */
export function inferLayout(streams: readonly DirectionStream[], options: LayoutOptions = {}): LayoutResult {
  const notes: string[] = [];
  const datagrams = streams.reduce((sum, stream) => sum + stream.payloads.length, 0);
  const lengthLimit = lengthPercentile(streams, 0.1);
  const maxOffset = Math.min(options.maxOffset ?? 48, lengthLimit);
  const bytes = byteStatistics(streams, Math.max(maxOffset + 8, 0));
  const claimed = new Uint8Array(maxOffset + 16);
  const fields: InferredField[] = [];
  const empty: LayoutResult = { fields, notes, headerEnd: 0, datagrams, entropyBitsPerByte: 0, entropyBytes: 0 };
  if (datagrams < 2) {
    notes.push(`${datagrams} datagram(s): at least two per direction are needed to compare anything`);
    return empty;
  }
  const identical = streams.every((stream) => stream.payloads.every((payload) => payload.length === streams[0]!.payloads[0]!.length && payload.every((byte, index) => byte === streams[0]!.payloads[0]![index])));
  if (identical) {
    notes.push(`all ${datagrams} datagrams are identical (${streams[0]!.payloads[0]!.length} bytes): no field can be told from a constant`);
    return empty;
  }
  const byDirection = (["clientToServer", "serverToClient"] as const).map((direction) => ({
    direction,
    facts: streamFacts(streams.filter((stream) => stream.direction === direction)),
  }));
  const slowness = byDirection.map(({ facts }) => byteSlowness(facts.map((fact) => fact.stream), lengthLimit));
  const slowAt = (offset: number) => slowness.every((slow) => (slow[offset] ?? 1) >= 0.5);
  const shapes = shapesUpTo(maxOffset, lengthLimit, slowAt);
  const statistics = shapes.map((shape) => ({ shape, perDirection: byDirection.map(({ direction, facts }) => ({ direction, statistics: candidateStatistics(facts, shape) })) }));

  // 1. sequences: +1 per datagram in every direction with enough pairs
  const sequencePassing: Scored[] = [];
  const clockPassing: Scored[] = [];
  let bestSequenceSupport = 0;
  for (const { shape, perDirection } of statistics) {
    const tested = perDirection.filter(({ statistics: s }) => s.pairs >= MIN_SEQUENCE_PAIRS);
    const pairs = tested.reduce((sum, { statistics: s }) => sum + s.pairs, 0);
    const plusOne = tested.reduce((sum, { statistics: s }) => sum + s.plusOne, 0);
    if (pairs > 0) bestSequenceSupport = Math.max(bestSequenceSupport, plusOne / pairs);
    if (tested.length > 0 && tested.every(({ statistics: s }) => sequenceVerdict(s))) {
      const nullRate = 2 ** -(8 * shape.bytes);
      const log10 = log10NullProbability(plusOne, pairs, nullRate);
      if (log10 <= MAX_LOG10_NULL_PROBABILITY) {
        const near = tested.reduce((sum, { statistics: s }) => sum + s.nearSteps, 0);
        sequencePassing.push({
          shape,
          log10,
          support: plusOne / pairs,
          evidence: [
            testEvidence("steps by +1 from one datagram to the next (same session and direction)", plusOne, pairs, nullRate),
            testEvidence(`steps within ±32 (loss, reorder, duplicates)`, near, pairs, Math.min(1, 65 * nullRate)),
          ],
          sentence: `${shapeLabel(shape)} counts datagrams: +1 in ${plusOne} of ${pairs} consecutive pairs (${tested.map(({ direction, statistics: s }) => `${directionLabel(direction)} ${Math.round((100 * s.plusOne) / s.pairs)}%`).join(", ")})`,
        });
      }
    }
    // 2. clocks: linear in capture time with one rate in every direction
    const clockTested = perDirection.filter(({ statistics: s }) => s.pairs >= MIN_CLOCK_PAIRS);
    if (clockTested.length > 0 && clockTested.every(({ statistics: s }) => clockVerdict(s))) {
      const units = clockTested.map(({ statistics: s }) => clockUnitOf(s.slopePerUs, s.spanUs, s.residualP90Ms));
      const first = units[0];
      if (first !== undefined && units.every((unit) => JSON.stringify(unit) === JSON.stringify(first))) {
        const pairs = clockTested.reduce((sum, { statistics: s }) => sum + s.pairs, 0);
        const nonDecreasing = clockTested.reduce((sum, { statistics: s }) => sum + s.nonDecreasing, 0);
        // null: a random value lands within ±CLOCK_TOLERANCE_MS of the fitted line (two parameters fitted per stream)
        const within = clockTested.reduce((sum, { statistics: s }) => sum + Math.max(0, s.withinTolerance - 2 * s.streams), 0);
        const trials = clockTested.reduce((sum, { statistics: s }) => sum + Math.max(0, s.datagrams - 2 * s.streams), 0);
        const slopePerMs = Math.max(...clockTested.map(({ statistics: s }) => s.slopePerUs * 1000));
        const nullRate = Math.min(0.5, (2 * CLOCK_TOLERANCE_MS * slopePerMs + 1) / 2 ** (8 * shape.bytes));
        const log10 = log10NullProbability(within, trials, nullRate);
        if (log10 <= MAX_LOG10_NULL_PROBABILITY) {
          const unitText = "unit" in first ? first.unit : `${first.ticksPerSecond} ticks/s`;
          clockPassing.push({
            shape,
            log10,
            support: nonDecreasing / pairs,
            evidence: [
              testEvidence(`within ${CLOCK_TOLERANCE_MS} ms of a line through capture time (after the fitted points)`, within, trials, nullRate),
              testEvidence("never steps back (serial arithmetic in the field width)", nonDecreasing, pairs, 0.5),
              ...clockTested.map(({ direction, statistics: s }) =>
                testEvidence(`${directionLabel(direction)}: linear in capture time, ${(s.slopePerUs * 1e6).toPrecision(6)} counts/s, residual median ${s.residualMedianMs.toFixed(1)} ms, p90 ${s.residualP90Ms.toFixed(1)} ms`, s.nonDecreasing, s.pairs, nullRate),
              ),
            ],
            sentence: `${shapeLabel(shape)} is a sender clock in ${unitText}: it advances ${(clockTested[0]!.statistics.slopePerUs * 1e6).toPrecision(6)} counts per second of capture time and stays within ${Math.max(...clockTested.map(({ statistics: s }) => s.residualP90Ms)).toFixed(1)} ms (p90) of that line`,
            extra: "unit" in first ? { unit: first.unit } : { ticksPerSecond: first.ticksPerSecond },
          });
        }
      }
    }
  }
  const sequences = pick(widestInFamilies(sequencePassing, bytes, slowAt), claimed, 1);
  for (const sequence of sequences) {
    fields.push({ name: "sequence", role: "sequence", ...shapeOf(sequence), confidence: confidenceOf(sequence.support, sequence.log10), evidence: sequence.evidence, sentence: sequence.sentence });
  }
  if (sequences.length === 0) notes.push(`no datagram sequence: the best candidate stepped by +1 in ${Math.round(bestSequenceSupport * 100)}% of consecutive pairs (a sequence needs 50% and a step-size spread random bytes cannot reach)`);

  // 3. acks: a field of one direction trailing the other direction's sequence
  const sequence = sequences[0]?.shape;
  if (sequence !== undefined) {
    const walks = streams.flatMap((stream) => {
      const peer = peerStream(streams, stream);
      return peer === undefined ? [] : [ackWalk(stream, peer, sequence)];
    });
    const ackPassing: Scored[] = [];
    for (const { shape, perDirection } of statistics) {
      // an ack moves in small steps (the peer's datagrams received since the last one)
      if (overlaps(shape, claimed) || perDirection.every(({ statistics: s }) => s.distinctValues < 4)) continue;
      if (perDirection.some(({ statistics: s }) => s.pairs >= MIN_SEQUENCE_PAIRS && s.nearSteps < 0.8 * s.pairs)) continue;
      const result = ackTest(walks, shape);
      if (result.trials < MIN_SEQUENCE_PAIRS || result.distinctValues < 4 || result.passes / result.trials < 0.8) continue;
      const nullRate = Math.min(1, (MAX_ACK_LAG + 1) * 2 ** -(8 * Math.min(shape.bytes, sequence.bytes, 4)));
      const log10 = log10NullProbability(result.passes, result.trials, nullRate);
      if (log10 > MAX_LOG10_NULL_PROBABILITY) continue;
      ackPassing.push({
        shape,
        log10,
        support: result.passes / result.trials,
        evidence: [testEvidence(`trails the other direction's newest captured sequence by 0–${MAX_ACK_LAG} (median ${result.medianLag})`, result.passes, result.trials, nullRate)],
        sentence: `${shapeLabel(shape)} acknowledges the peer's sequence: in ${result.passes} of ${result.trials} datagrams it names one of the peer's last ${MAX_ACK_LAG + 1} datagrams captured before it (median lag ${result.medianLag})`,
      });
    }
    // an ack is as wide as the sequence it acknowledges when that width passes too
    const acks = pick(widestInFamilies(ackPassing, bytes, slowAt, sequence.bytes), claimed, 1);
    for (const ack of acks) fields.push({ name: "ack", role: "ack", ...shapeOf(ack), confidence: confidenceOf(ack.support, ack.log10), evidence: ack.evidence, sentence: ack.sentence });
    if (acks.length === 0) notes.push("no ack: no field trails the peer's sequence in 80% of datagrams");

    // 4. ack bits next to the ack
    const ack = acks[0]?.shape;
    if (ack !== undefined) {
      const bitsPassing: (Scored & { width: number })[] = [];
      for (const width of [1, 2, 4, 8]) {
        for (const offset of [ack.offset + ack.bytes, ack.offset - width]) {
          for (const littleEndian of width === 1 ? [false] : [false, true]) {
            const shape = { offset, bytes: width, littleEndian };
            if (offset < 0 || offset + width > lengthLimit || overlaps(shape, claimed)) continue;
            const result = ackBitsTest(walks, ack, shape);
            if (result.trials < 64 || result.passes / result.trials < 0.9 || result.ones / result.trials < 0.2) continue;
            const log10 = log10NullProbability(result.passes, result.trials, 0.5);
            if (log10 > MAX_LOG10_NULL_PROBABILITY) continue;
            bitsPassing.push({
              shape,
              width,
              log10,
              support: result.passes / result.trials,
              evidence: [testEvidence(`bit i set exactly when the peer's datagram ack−1−i was captured before (${result.ones} bits set)`, result.passes, result.trials, 0.5)],
              sentence: `${shapeLabel(shape)} holds ack bits: bit i (least significant first) matches whether the peer's datagram ack−1−i was seen, in ${result.passes} of ${result.trials} bits`,
            });
          }
        }
      }
      bitsPassing.sort((a, b) => Math.round((b.support - a.support) * 100) || b.width - a.width || a.log10 - b.log10);
      for (const bits of pick(bitsPassing, claimed, 1)) {
        fields.push({ name: "ackBits", role: "ackBits", ...shapeOf(bits), confidence: confidenceOf(bits.support, bits.log10), evidence: bits.evidence, sentence: bits.sentence });
      }
    }
  }

  // 5. sender clocks
  const clocks = pick(widestInFamilies(clockPassing, bytes, slowAt), claimed, 1);
  for (const [index, clock] of clocks.entries()) {
    fields.push({
      name: index === 0 ? "sendTime" : `sendTime${index + 1}`,
      role: "sendTime",
      ...shapeOf(clock),
      ...clock.extra,
      confidence: confidenceOf(clock.support, clock.log10),
      evidence: clock.evidence,
      sentence: clock.sentence,
    });
  }
  if (clocks.length === 0) notes.push("no sender clock: no field grows linearly with capture time at one rate in both directions (ns, µs, ms, s or a tick rate)");

  // 6. length fields
  const lengthPassing: Scored[] = [];
  for (const { shape, perDirection } of statistics) {
    if (shape.bytes > 4 || overlaps(shape, claimed)) continue;
    const total = perDirection.reduce((sum, { statistics: s }) => sum + s.datagrams, 0);
    const first = perDirection.find(({ statistics: s }) => s.datagrams > 0)?.statistics;
    if (first === undefined || total < MIN_FIELD_DATAGRAMS) continue;
    const offsets = new Set(perDirection.filter(({ statistics: s }) => s.datagrams > 0).map(({ statistics: s }) => s.lengthOffset));
    if (offsets.size !== 1) continue;
    const matches = perDirection.reduce((sum, { statistics: s }) => sum + s.lengthMatches, 0);
    const distinct = Math.max(...perDirection.map(({ statistics: s }) => s.lengthDistinct));
    if (matches / total < 0.9 || distinct < 3) continue;
    const nullRate = Math.min(0.5, 8 * 2 ** -(8 * shape.bytes));
    const log10 = log10NullProbability(matches, total, nullRate);
    if (log10 > MAX_LOG10_NULL_PROBABILITY) continue;
    const lengthOffset = first.lengthOffset;
    const what = lengthOffset === 0 ? "the datagram's length" : lengthOffset === shape.offset + shape.bytes ? "the length of the bytes after it" : `the datagram's length − ${lengthOffset}`;
    lengthPassing.push({
      shape,
      log10,
      support: matches / total,
      evidence: [testEvidence(`equals ${what} (${distinct} distinct lengths)`, matches, total, nullRate)],
      sentence: `${shapeLabel(shape)} is a length: it equals ${what} in ${matches} of ${total} datagrams`,
      extra: { lengthOffset },
    });
  }
  // a length matches or it does not: the candidate matching most datagrams first (a wider one only wins a tie)
  const lengthRanked = widestInFamilies(lengthPassing, bytes, slowAt).sort((a, b) => b.support - a.support || a.log10 - b.log10);
  for (const length of pick(lengthRanked, claimed, 2)) {
    fields.push({ name: fields.some((field) => field.role === "length") ? "length2" : "length", role: "length", ...shapeOf(length), ...length.extra, confidence: confidenceOf(length.support, length.log10), evidence: length.evidence, sentence: length.sentence });
  }

  // 7. constants, magics and session ids inside the header (or at its start)
  let headerEnd = fields.reduce((end, field) => Math.max(end, field.offset + field.bytes), 0);
  const constantLimit = Math.min(maxOffset, Math.max(headerEnd, 4));
  const sessions = new Set(streams.map((stream) => stream.sessionId)).size;
  let runStart = -1;
  let runKind: "constant" | "session" | undefined;
  const runs: { start: number; end: number; kind: "constant" | "session" }[] = [];
  for (let offset = 0; offset <= constantLimit; offset++) {
    const statistics = offset < constantLimit ? bytes[offset] : undefined;
    const kind =
      statistics === undefined || claimed[offset] || statistics.datagrams < MIN_FIELD_DATAGRAMS
        ? undefined
        : statistics.constantValue !== undefined
          ? "constant"
          : statistics.constantPerSession && statistics.sessionValues >= 2 && statistics.sessions >= 2
            ? "session"
            : undefined;
    if (kind !== runKind) {
      if (runKind !== undefined) runs.push({ start: runStart, end: offset, kind: runKind });
      runStart = offset;
      runKind = kind;
    }
  }
  for (const run of runs) {
    // a run only counts at the datagram start or inside the header found so far
    if (run.start !== 0 && run.end > headerEnd) continue;
    for (const shape of splitRun(run.start, run.end)) {
      const count = Math.min(...Array.from({ length: shape.bytes }, (_, index) => bytes[shape.offset + index]!.datagrams));
      if (run.kind === "constant") {
        const value = bigEndianValue(bytes, shape, (statistics) => statistics.constantValue!);
        const nullRate = 2 ** -(8 * shape.bytes);
        const log10 = log10NullProbability(count - 1, count - 1, nullRate);
        if (log10 > MAX_LOG10_NULL_PROBABILITY) continue;
        const magic = shape.offset === 0 && value !== 0;
        const ascii = asciiOf(value, shape.bytes);
        const sessionNote = sessions < 2 && magic ? " (one session seen: a magic or a session id)" : "";
        fields.push({
          name: magic ? "magic" : `constant${shape.offset}`,
          role: magic ? "magic" : "constant",
          ...shape,
          constantValue: value,
          confidence: confidenceOf(1, log10),
          evidence: [testEvidence(`the same value in every datagram of ${sessions} session(s)`, count - 1, count - 1, nullRate)],
          sentence: `${shapeLabel(shape)} is always ${hex(value, shape.bytes)}${ascii === undefined ? "" : ` ('${ascii}')`}${sessionNote}`,
        });
      } else {
        const perSession = bytes[shape.offset]!.sessionValues;
        const nullRate = 2 ** -(8 * shape.bytes);
        const log10 = log10NullProbability(count - sessions, count - sessions, nullRate);
        if (log10 > MAX_LOG10_NULL_PROBABILITY) continue;
        fields.push({
          name: `sessionId${shape.offset}`,
          role: "sessionId",
          ...shape,
          confidence: confidenceOf(1, log10),
          evidence: [testEvidence(`constant within each of ${bytes[shape.offset]!.sessions} sessions, ${perSession}+ distinct values between them`, count - sessions, count - sessions, nullRate)],
          sentence: `${shapeLabel(shape)} identifies the session: constant within a session, different between sessions`,
        });
      }
      claim(shape, claimed);
    }
  }
  headerEnd = fields.reduce((end, field) => Math.max(end, field.offset + field.bytes), 0);

  // 8. a message-type byte: right after the header (or at offset 0 when nothing was found)
  const selectorOffset = headerEnd > 0 ? headerEnd : 0;
  const selector = bytes[selectorOffset];
  if (selector !== undefined && selectorOffset < lengthLimit && !claimed[selectorOffset] && selector.datagrams >= 20 && selector.distinctValues >= 2 && selector.distinctValues <= 16) {
    const values = [...selector.histogram.entries()].filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
    const top = values[0]![1];
    if (top / selector.datagrams < 0.98) {
      // random bytes over n datagrams show ~min(n, 256) values; ≤ 16 values is the test
      const share = values.slice(0, 16).reduce((sum, [, count]) => sum + count, 0);
      const nullRate = 16 / 256;
      const log10 = log10NullProbability(share, selector.datagrams, nullRate);
      if (log10 <= MAX_LOG10_NULL_PROBABILITY) {
        fields.push({
          name: "messageType",
          role: "messageType",
          offset: selectorOffset,
          bytes: 1,
          littleEndian: false,
          values: values.slice(0, 16).map(([value]) => value),
          confidence: confidenceOf(1, log10) * 0.8,
          evidence: [testEvidence(`takes ${selector.distinctValues} values in ${selector.datagrams} datagrams`, share, selector.datagrams, nullRate)],
          sentence: `u8 @${selectorOffset} selects the message type: ${values
            .slice(0, 8)
            .map(([value, count]) => `${value} (${Math.round((100 * count) / selector.datagrams)}%)`)
            .join(", ")}${values.length > 8 ? ", …" : ""}`,
        });
        claim({ offset: selectorOffset, bytes: 1, littleEndian: false }, claimed);
      }
    }
  }
  fields.sort((a, b) => a.offset - b.offset);
  const entropy = payloadEntropyBits(streams, headerEnd);
  return { fields, notes, headerEnd, datagrams, entropyBitsPerByte: entropy.bits, entropyBytes: entropy.bytes };
}

function shapeOf(scored: Scored): { offset: number; bytes: number; littleEndian: boolean } {
  return { offset: scored.shape.offset, bytes: scored.shape.bytes, littleEndian: scored.shape.bytes === 1 ? false : scored.shape.littleEndian };
}
