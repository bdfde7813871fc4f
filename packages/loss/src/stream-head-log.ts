import type { SerialNumber } from "@tickscope/core";
import { decodeSerial, decodeSeries, encodeSerial, encodeSeries, type EncodedSerial, type EncodedSeries } from "./state-encoding.js";

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

/** Saved form of a {@link StreamHeadLog}: columns, one character of `kinds` per entry. */
export interface StreamHeadLogState {
  /** One of `o`, `a`, `c`, `i` per entry. */
  kinds: string;
  /** Sequence of each entry (observation, capture duplicate), ack, or input sequence. */
  sequences: EncodedSerial[];
  /** Packet index of each entry (first value, then differences). */
  packetIndices: EncodedSeries;
  /** Arrival time of each observation (first value, then differences). */
  timesUs: EncodedSeries;
  /** `[observation number, sendTimeUs]` of observations with a send time. */
  sendTimesUs: [number, number][];
  /** `[observation number, resendCount]` of observations with a resend count > 0. */
  resendCounts: [number, number][];
  /** `[ackBits, ackBitsWidth]` of each ack entry. */
  acks: [number, number][];
  /** `[inputCount or null, byteLength, inputSequenceBits or null]` of each input entry. */
  inputs: [number | null, number, number | null][];
  /** Message types (and message counts) of the packet of each observation in this stream. */
  types: [string, number][][];
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
  readonly kinds: string[] = [];
  readonly sequences: SerialNumber[] = [];
  readonly packetIndices: number[] = [];
  readonly timesUs: number[] = [];
  readonly sendTimesUs: [number, number][] = [];
  readonly resendCounts: [number, number][] = [];
  readonly acks: [number, number][] = [];
  readonly inputs: [number | null, number, number | null][] = [];
  readonly types: [string, number][][] = [];

  /** Number of entries. */
  get length(): number {
    return this.kinds.length;
  }

  /** Logs an observation with the type of the message that carried it. */
  observation(sequence: SerialNumber, tUs: number, packetIndex: number, sendTimeUs: number | undefined, resendCount: number, type: string): void {
    const number = this.timesUs.length;
    this.kinds.push(HeadEntryKind.observation);
    this.sequences.push(sequence);
    this.packetIndices.push(packetIndex);
    this.timesUs.push(tUs);
    if (sendTimeUs !== undefined) this.sendTimesUs.push([number, sendTimeUs]);
    if (resendCount > 0) this.resendCounts.push([number, resendCount]);
    this.types.push([[type, 1]]);
  }

  /** Counts one more message of `type` in the packet of the last observation. */
  messageType(type: string): void {
    const types = this.types[this.types.length - 1];
    if (types === undefined) return;
    const entry = types.find((candidate) => candidate[0] === type);
    if (entry === undefined) types.push([type, 1]);
    else entry[1] += 1;
  }

  /** Logs an ack applied to the stream. */
  ack(ack: SerialNumber, ackBits: number, width: number, packetIndex: number): void {
    this.kinds.push(HeadEntryKind.ack);
    this.sequences.push(ack);
    this.packetIndices.push(packetIndex);
    this.acks.push([ackBits, width]);
  }

  /** Logs a capture-duplicate sequence. */
  captureDuplicate(sequence: SerialNumber, packetIndex: number): void {
    this.kinds.push(HeadEntryKind.captureDuplicate);
    this.sequences.push(sequence);
    this.packetIndices.push(packetIndex);
  }

  /** Logs an input message. */
  input(inputSequence: SerialNumber, inputCount: number | undefined, byteLength: number, inputSequenceBits: number | undefined, packetIndex: number): void {
    this.kinds.push(HeadEntryKind.input);
    this.sequences.push(inputSequence);
    this.packetIndices.push(packetIndex);
    this.inputs.push([inputCount ?? null, byteLength, inputSequenceBits ?? null]);
  }

  /** The log as plain data. */
  saveState(): StreamHeadLogState {
    return {
      kinds: this.kinds.join(""),
      sequences: this.sequences.map(encodeSerial),
      packetIndices: encodeSeries(this.packetIndices),
      timesUs: encodeSeries(this.timesUs),
      sendTimesUs: this.sendTimesUs.map(([number, value]) => [number, value]),
      resendCounts: this.resendCounts.map(([number, value]) => [number, value]),
      acks: this.acks.map(([bits, width]) => [bits, width]),
      inputs: this.inputs.map(([count, bytes, bits]) => [count, bytes, bits]),
      types: this.types.map((types) => types.map(([type, count]) => [type, count])),
    };
  }

  /**
   * A log from {@link StreamHeadLog.saveState} with `packetIndexOffset` added.
   * Throws a RangeError when the columns do not agree with `kinds`.
   */
  static fromState(state: StreamHeadLogState, packetIndexOffset: number): StreamHeadLog {
    const log = new StreamHeadLog();
    const packetIndices = decodeSeries(state.packetIndices);
    const timesUs = decodeSeries(state.timesUs);
    const count = (kind: string): number => {
      let total = 0;
      for (const character of state.kinds) if (character === kind) total += 1;
      return total;
    };
    const observations = count(HeadEntryKind.observation);
    for (const character of state.kinds) {
      if (!Object.values(HeadEntryKind).includes(character as never)) throw new RangeError(`head log kind "${character}"`);
    }
    if (
      state.sequences.length !== state.kinds.length ||
      packetIndices.length !== state.kinds.length ||
      timesUs.length !== observations ||
      state.types.length !== observations ||
      state.acks.length !== count(HeadEntryKind.ack) ||
      state.inputs.length !== count(HeadEntryKind.input)
    ) {
      throw new RangeError(`head log columns do not match its ${state.kinds.length} entries`);
    }
    for (const [number] of [...state.sendTimesUs, ...state.resendCounts]) {
      if (!Number.isInteger(number) || number < 0 || number >= observations) throw new RangeError(`head log observation number ${number}`);
    }
    log.kinds.push(...state.kinds);
    for (const sequence of state.sequences) log.sequences.push(decodeSerial(sequence));
    for (const packetIndex of packetIndices) log.packetIndices.push(packetIndex + packetIndexOffset);
    log.timesUs.push(...timesUs);
    log.sendTimesUs.push(...state.sendTimesUs.map(([number, value]): [number, number] => [number, value]));
    log.resendCounts.push(...state.resendCounts.map(([number, value]): [number, number] => [number, value]));
    log.acks.push(...state.acks.map(([bits, width]): [number, number] => [bits, width]));
    log.inputs.push(...state.inputs.map(([count, bytes, bits]): [number | null, number, number | null] => [count, bytes, bits]));
    log.types.push(...state.types.map((types) => types.map(([type, count]): [string, number] => [type, count])));
    return log;
  }
}
