import type { SerialNumber } from "@tickscope/core";
import {
  decodeFloat,
  decodeSerial,
  decodeSeries,
  encodeFloat,
  encodeSerial,
  encodeSeries,
  type EncodedFloat,
  type EncodedSerial,
  type EncodedSeries,
} from "./state-encoding.js";

/** A growable typed-array column (doubled as needed: no per-entry garbage on the hot path). */
class GrowableColumn<Store extends Float64Array | Int32Array> {
  private data: Store;
  /** Entries in use. */
  length = 0;

  constructor(private readonly allocate: (length: number) => Store) {
    this.data = allocate(64);
  }

  /** Appends a value. */
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.allocate(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** The value at `index`. */
  get(index: number): number {
    return this.data[index]!;
  }

  /** Adds one to the last value. */
  incrementLast(): void {
    this.data[this.length - 1]! += 1;
  }

  /** The values as a plain array. */
  toArray(): number[] {
    return Array.from(this.data.subarray(0, this.length));
  }
}

/** A growable column of numbers (a Float64Array doubled as needed). */
export class NumberColumn extends GrowableColumn<Float64Array> {
  constructor() {
    super((length) => new Float64Array(length));
  }
}

/** A growable column of small integers within ±2^31 (an Int32Array doubled as needed). */
export class IntegerColumn extends GrowableColumn<Int32Array> {
  constructor() {
    super((length) => new Int32Array(length));
  }
}

/**
 * A growable column of sequence numbers: plain numbers in a Float64Array (no
 * pointer per entry for the collector to trace), the rare bigint kept aside
 * by entry (NaN in the column).
 */
export class SequenceColumn {
  private readonly numbers = new NumberColumn();
  private bigints: Map<number, bigint> | undefined;

  /** Entries in use. */
  get length(): number {
    return this.numbers.length;
  }

  /** Appends a sequence. */
  push(value: SerialNumber): void {
    if (typeof value === "number") {
      this.numbers.push(value);
      return;
    }
    (this.bigints ??= new Map()).set(this.numbers.length, value);
    this.numbers.push(Number.NaN);
  }

  /** The sequence at `index`. */
  get(index: number): SerialNumber {
    const value = this.numbers.get(index);
    return value === value ? value : this.bigints!.get(index)!;
  }
}

/** Kinds of {@link StreamHeadLog} entries. */
export const HeadEntryKind = {
  /** A sequence observed by the stream's space (first of its packet). */
  observation: "o",
  /** A peer ack applied to the stream's space. */
  ack: "a",
  /** A sequence of a datagram captured twice. */
  captureDuplicate: "c",
  /** An input message of the stream. */
  input: "i",
} as const;

const OBSERVATION = HeadEntryKind.observation.charCodeAt(0);
const ACK = HeadEntryKind.ack.charCodeAt(0);
const CAPTURE_DUPLICATE = HeadEntryKind.captureDuplicate.charCodeAt(0);
const INPUT = HeadEntryKind.input.charCodeAt(0);

/** A column of sequences: differences from the previous (all plain numbers, rebuilt exactly), or the values (bigints as strings). */
export type SerialColumn = { deltas: number[] } | { values: EncodedSerial[] };

/** Saved form of a {@link StreamHeadLog}: columns, compact (differences, run lengths, a type dictionary). */
export interface StreamHeadLogState {
  /** One of `o`, `a`, `c`, `i` per entry. */
  kinds: string;
  /** Sequences of each kind, in entry order: observations, acks, capture duplicates, inputs. */
  sequences: { o: SerialColumn; a: SerialColumn; c: SerialColumn; i: SerialColumn };
  /** Packet index of each entry (first value, then differences). */
  packetIndices: EncodedSeries;
  /** Arrival time of each observation (first value, then differences). */
  timesUs: EncodedSeries;
  /** Observations with a send time: observation numbers (differences) and arrival − send time, µs (or the send times when that is not exact). */
  sendTimes: { observationRuns: [number, number][]; transitUs: EncodedSeries } | { observationRuns: [number, number][]; valuesUs: EncodedFloat[] };
  /** `[observation number, resendCount]` of observations with a resend count > 0. */
  resendCounts: [number, number][];
  /** Ack bits of each ack entry. */
  ackBits: number[];
  /** Ack bit widths as `[width, ack entries]` runs. */
  ackWidths: [number, number][];
  /** Input entries as runs of `[inputCount or null, byteLength, inputSequenceBits or null, entries]`. */
  inputs: [number | null, number, number | null, number][];
  /** Distinct message-type sets (`[type, messages]`) of the observations' packets in this stream. */
  typeSets: [string, number][][];
  /** Type set of each observation as runs of `[set index, observations]`. */
  typeRuns: [number, number][];
}

function charactersOf(codes: readonly number[]): string {
  let text = "";
  for (let start = 0; start < codes.length; start += 4096) text += String.fromCharCode(...codes.slice(start, start + 4096));
  return text;
}

function nullIfNaN(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function encodeSerialColumn(values: readonly SerialNumber[]): SerialColumn {
  if (values.every((value) => typeof value === "number")) {
    const series = encodeSeries(values as number[]);
    if ("deltas" in series) return series;
  }
  return { values: values.map(encodeSerial) };
}

function decodeSerialColumn(column: SerialColumn): SerialNumber[] {
  return "deltas" in column ? decodeSeries(column) : column.values.map(decodeSerial);
}

function runs<T>(values: readonly T[], same: (left: T, right: T) => boolean): [T, number][] {
  const result: [T, number][] = [];
  for (const value of values) {
    const last = result[result.length - 1];
    if (last !== undefined && same(last[0], value)) last[1] += 1;
    else result.push([value, 1]);
  }
  return result;
}

function expand<T>(encoded: readonly [T, number][], what: string): T[] {
  const result: T[] = [];
  for (const [value, count] of encoded) {
    if (!Number.isInteger(count) || count < 1 || result.length + count > 1 << 20) throw new RangeError(`${what}: run of ${count}`);
    for (let index = 0; index < count; index++) result.push(value);
  }
  return result;
}

/**
 * The head of one stream in one pass: every event that fed its sequence
 * space, RFC 3550 counter and input tracker, in order, until the stream's
 * checkpoint (when its windows have moved past everything the pass began
 * with). A merge replays the head of a later pass onto the state of the pass
 * before, so a rotation cut is accounted for as one pass would; memory is
 * bounded by the checkpoint rule of the analyzer.
 */
export class StreamHeadLog {
  /** Kind of each entry (character code of {@link HeadEntryKind}). */
  readonly kinds = new IntegerColumn();
  /** Sequence of each entry. */
  private readonly sequences = new SequenceColumn();
  readonly packetIndices = new NumberColumn();
  /** Arrival time per observation. */
  readonly timesUs = new NumberColumn();
  /** Observation numbers with a send time, and the send times. */
  readonly sendTimeNumbers = new NumberColumn();
  readonly sendTimeValues = new NumberColumn();
  /** `[observation number, resendCount]` (rare). */
  readonly resendCounts: [number, number][] = [];
  /** Ack bits and widths per ack entry. */
  readonly ackBits = new NumberColumn();
  readonly ackWidths = new IntegerColumn();
  /** Input count (NaN: none), byte length and sequence bits (NaN: none) per input entry. */
  readonly inputCounts = new NumberColumn();
  readonly inputBytes = new NumberColumn();
  readonly inputBits = new NumberColumn();
  /** Type (index into `types`) of the message that carried each observation, and messages of that type in its packet. */
  private readonly firstTypes = new IntegerColumn();
  private readonly firstTypeCounts = new IntegerColumn();
  /** Message types of the stream, each once, and their indices. */
  private readonly types: string[] = [];
  private readonly typeIndices = new Map<string, number>();
  private lastType = "";
  private lastTypeIndex = -1;
  /** Other types in an observation's packet (rare). */
  private readonly otherTypes = new Map<number, [string, number][]>();

  /** Number of entries. */
  get length(): number {
    return this.kinds.length;
  }

  /** Number of observations. */
  get observations(): number {
    return this.timesUs.length;
  }

  /** Sequence of entry `index`. */
  sequenceAt(index: number): SerialNumber {
    return this.sequences.get(index);
  }

  /** Index of a message type in `types` (added when new). */
  private typeIndex(type: string): number {
    if (type === this.lastType && this.lastTypeIndex >= 0) return this.lastTypeIndex;
    let index = this.typeIndices.get(type);
    if (index === undefined) {
      index = this.types.length;
      this.types.push(type);
      this.typeIndices.set(type, index);
    }
    this.lastType = type;
    this.lastTypeIndex = index;
    return index;
  }

  /** Kind of entry `index` (a {@link HeadEntryKind} value). */
  kindOf(index: number): string {
    return String.fromCharCode(this.kinds.get(index));
  }

  /** Message types (and messages) of the packet of observation `number` in this stream. */
  typesOf(number: number): [string, number][] {
    const types: [string, number][] = [[this.types[this.firstTypes.get(number)]!, this.firstTypeCounts.get(number)]];
    const others = this.otherTypes.get(number);
    if (others !== undefined) for (const [type, count] of others) types.push([type, count]);
    return types;
  }

  /** Logs an observation with the type of the message that carried it. */
  observation(sequence: SerialNumber, tUs: number, packetIndex: number, sendTimeUs: number | undefined, resendCount: number, type: string): void {
    const number = this.timesUs.length;
    this.kinds.push(OBSERVATION);
    this.sequences.push(sequence);
    this.packetIndices.push(packetIndex);
    this.timesUs.push(tUs);
    if (sendTimeUs !== undefined) {
      this.sendTimeNumbers.push(number);
      this.sendTimeValues.push(sendTimeUs);
    }
    if (resendCount > 0) this.resendCounts.push([number, resendCount]);
    this.firstTypes.push(this.typeIndex(type));
    this.firstTypeCounts.push(1);
  }

  /** Counts one more message of `type` in the packet of the last observation. */
  messageType(type: string): void {
    const number = this.firstTypes.length - 1;
    if (number < 0) return;
    if (this.types[this.firstTypes.get(number)] === type) {
      this.firstTypeCounts.incrementLast();
      return;
    }
    let others = this.otherTypes.get(number);
    if (others === undefined) {
      others = [];
      this.otherTypes.set(number, others);
    }
    const entry = others.find((candidate) => candidate[0] === type);
    if (entry === undefined) others.push([type, 1]);
    else entry[1] += 1;
  }

  /** Logs an ack applied to the stream. */
  ack(ack: SerialNumber, ackBits: number, width: number, packetIndex: number): void {
    this.kinds.push(ACK);
    this.sequences.push(ack);
    this.packetIndices.push(packetIndex);
    this.ackBits.push(ackBits);
    this.ackWidths.push(width);
  }

  /** Logs a capture-duplicate sequence. */
  captureDuplicate(sequence: SerialNumber, packetIndex: number): void {
    this.kinds.push(CAPTURE_DUPLICATE);
    this.sequences.push(sequence);
    this.packetIndices.push(packetIndex);
  }

  /** Logs an input message. */
  input(inputSequence: SerialNumber, inputCount: number | undefined, byteLength: number, inputSequenceBits: number | undefined, packetIndex: number): void {
    this.kinds.push(INPUT);
    this.sequences.push(inputSequence);
    this.packetIndices.push(packetIndex);
    this.inputCounts.push(inputCount ?? Number.NaN);
    this.inputBytes.push(byteLength);
    this.inputBits.push(inputSequenceBits ?? Number.NaN);
  }

  /** The log as plain data. */
  saveState(): StreamHeadLogState {
    const code = (kind: string): number => kind.charCodeAt(0);
    const byKind = (kind: string): SerialNumber[] => {
      const values: SerialNumber[] = [];
      for (let index = 0; index < this.kinds.length; index++) if (this.kinds.get(index) === code(kind)) values.push(this.sequences.get(index));
      return values;
    };
    const sendObservations: number[] = [];
    const transits: number[] = [];
    let previous = 0;
    let exactTransits = true;
    for (let index = 0; index < this.sendTimeNumbers.length; index++) {
      const number = this.sendTimeNumbers.get(index);
      const sendTimeUs = this.sendTimeValues.get(index);
      sendObservations.push(number - previous);
      previous = number;
      const arrivalUs = this.timesUs.get(number);
      const transitUs = arrivalUs - sendTimeUs;
      if (!(arrivalUs - transitUs === sendTimeUs)) exactTransits = false;
      transits.push(transitUs);
    }
    const transitSeries = encodeSeries(transits);
    if (!("deltas" in transitSeries)) exactTransits = false;
    const observationRuns = runs(sendObservations, (left, right) => left === right);
    const setKeys: string[] = [];
    const typeSets: [string, number][][] = [];
    const setIndices = Array.from({ length: this.firstTypes.length }, (_, number) => {
      const types = this.typesOf(number);
      const key = JSON.stringify(types);
      let index = setKeys.indexOf(key);
      if (index < 0) {
        index = setKeys.length;
        setKeys.push(key);
        typeSets.push(types.map(([type, count]): [string, number] => [type, count]));
      }
      return index;
    });
    return {
      kinds: charactersOf(this.kinds.toArray()),
      sequences: {
        o: encodeSerialColumn(byKind(HeadEntryKind.observation)),
        a: encodeSerialColumn(byKind(HeadEntryKind.ack)),
        c: encodeSerialColumn(byKind(HeadEntryKind.captureDuplicate)),
        i: encodeSerialColumn(byKind(HeadEntryKind.input)),
      },
      packetIndices: encodeSeries(this.packetIndices.toArray()),
      timesUs: encodeSeries(this.timesUs.toArray()),
      // A send time the arrival minus transit does not rebuild exactly is kept as is (never seen: µs are integers).
      sendTimes: exactTransits
        ? { observationRuns, transitUs: transitSeries }
        : { observationRuns, valuesUs: this.sendTimeValues.toArray().map(encodeFloat) },
      resendCounts: this.resendCounts.map(([number, value]) => [number, value]),
      ackBits: this.ackBits.toArray(),
      ackWidths: runs(this.ackWidths.toArray(), (left, right) => left === right),
      inputs: runs(
        this.inputBytes.toArray().map((bytes, index): [number | null, number, number | null] => [nullIfNaN(this.inputCounts.get(index)), bytes, nullIfNaN(this.inputBits.get(index))]),
        (left, right) => left[0] === right[0] && left[1] === right[1] && left[2] === right[2],
      ).map(([[count, bytes, bits], entries]) => [count, bytes, bits, entries]),
      typeSets,
      typeRuns: runs(setIndices, (left, right) => left === right),
    };
  }

  /**
   * A log from {@link StreamHeadLog.saveState} with `packetIndexOffset` added.
   * Throws a RangeError when the columns do not agree with `kinds`.
   */
  static fromState(state: StreamHeadLogState, packetIndexOffset: number): StreamHeadLog {
    const log = new StreamHeadLog();
    const counts: Record<string, number> = { o: 0, a: 0, c: 0, i: 0 };
    for (const character of state.kinds) {
      if (counts[character] === undefined) throw new RangeError(`head log kind "${character}"`);
      counts[character] += 1;
    }
    const sequences = {
      o: decodeSerialColumn(state.sequences.o),
      a: decodeSerialColumn(state.sequences.a),
      c: decodeSerialColumn(state.sequences.c),
      i: decodeSerialColumn(state.sequences.i),
    };
    const packetIndices = decodeSeries(state.packetIndices);
    const timesUs = decodeSeries(state.timesUs);
    const widths = expand(state.ackWidths, "ack widths");
    const inputs = expand(
      state.inputs.map(([count, bytes, bits, entries]): [[number | null, number, number | null], number] => [[count, bytes, bits], entries]),
      "inputs",
    );
    const typeRuns = expand(state.typeRuns, "type runs");
    const sendDeltas = expand(state.sendTimes.observationRuns, "send time observations");
    const sendValues = "transitUs" in state.sendTimes ? decodeSeries(state.sendTimes.transitUs) : state.sendTimes.valuesUs.map(decodeFloat);
    const observations = counts.o!;
    if (
      sequences.o.length !== observations ||
      sequences.a.length !== counts.a ||
      sequences.c.length !== counts.c ||
      sequences.i.length !== counts.i ||
      packetIndices.length !== state.kinds.length ||
      timesUs.length !== observations ||
      typeRuns.length !== observations ||
      state.ackBits.length !== counts.a ||
      widths.length !== counts.a ||
      inputs.length !== counts.i ||
      sendDeltas.length !== sendValues.length
    ) {
      throw new RangeError(`head log columns do not match its ${state.kinds.length} entries`);
    }
    if (typeRuns.some((index) => !Number.isInteger(index) || index < 0 || index >= state.typeSets.length)) throw new RangeError("head log type set index out of range");
    if (widths.some((width) => !Number.isInteger(width) || width < 0 || width > 0x7fffffff)) throw new RangeError("head log ack width is not a 31-bit integer");
    if (state.typeSets.some((types) => types.some(([, count]) => !Number.isInteger(count) || count > 0x7fffffff))) throw new RangeError("head log message count is not a 31-bit integer");
    let number = 0;
    for (const [index, delta] of sendDeltas.entries()) {
      number += delta;
      if (!Number.isInteger(number) || number < 0 || number >= observations) throw new RangeError(`head log observation number ${number}`);
      log.sendTimeNumbers.push(number);
      log.sendTimeValues.push("transitUs" in state.sendTimes ? timesUs[number]! - sendValues[index]! : sendValues[index]!);
    }
    for (const [entry] of state.resendCounts) {
      if (!Number.isInteger(entry) || entry < 0 || entry >= observations) throw new RangeError(`head log observation number ${entry}`);
    }
    const next = { o: 0, a: 0, c: 0, i: 0 } as Record<string, number>;
    for (const character of state.kinds) {
      log.kinds.push(character.charCodeAt(0));
      const column = sequences[character as keyof typeof sequences];
      log.sequences.push(column[next[character]!++]!);
    }
    for (const packetIndex of packetIndices) log.packetIndices.push(packetIndex + packetIndexOffset);
    for (const tUs of timesUs) log.timesUs.push(tUs);
    log.resendCounts.push(...state.resendCounts.map(([entry, value]): [number, number] => [entry, value]));
    for (const bits of state.ackBits) log.ackBits.push(bits);
    for (const width of widths) log.ackWidths.push(width);
    for (const [count, bytes, bits] of inputs) {
      log.inputCounts.push(count ?? Number.NaN);
      log.inputBytes.push(bytes);
      log.inputBits.push(bits ?? Number.NaN);
    }
    for (const [number, index] of typeRuns.entries()) {
      const types = state.typeSets[index]!;
      if (types.length === 0) throw new RangeError("head log type set is empty");
      log.firstTypes.push(log.typeIndex(types[0]![0]));
      log.firstTypeCounts.push(types[0]![1]);
      if (types.length > 1) log.otherTypes.set(number, types.slice(1).map(([type, count]): [string, number] => [type, count]));
    }
    return log;
  }
}
