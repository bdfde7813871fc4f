import type { Direction, GameMessage, MessageRoles } from "@tickscope/core";
import { SeededRandom } from "../replay.js";

/** Gilbert–Elliott parameters (netem convention). */
export interface SyntheticLossModel {
  p: number;
  r: number;
  h: number;
  k: number;
}

/** A sequence restart injected at a sent index. */
export interface SyntheticReset {
  /** Sent index at which the new sequence starts. */
  atIndex: number;
  /** First sequence after the reset. */
  newSequence: number;
  /** Silence inserted before it, ms. */
  pauseMs?: number;
}

/** Options of {@link generateStream}. */
export interface SyntheticStreamOptions {
  seed: number | string;
  sessionId?: string;
  direction?: Direction;
  messageType?: string;
  channel?: number | string;
  /** Datagrams sent. */
  datagrams: number;
  rateHz?: number;
  startUs?: number;
  startSequence?: number;
  /** Sequence width for wrap-around (default 16). */
  sequenceBits?: number;
  /** Put `sequenceBits` in the roles (default true). */
  sequenceBitsRole?: boolean;
  /** Gilbert–Elliott loss process, one verdict per datagram. */
  loss?: SyntheticLossModel;
  /** Sent indices lost on purpose (added to the model's losses). */
  lostIndices?: readonly number[];
  /** Probability a datagram is delayed past the next `reorderDistance` ones. */
  reorderProbability?: number;
  reorderDistance?: number;
  /** Sent indices delayed on purpose past the next `reorderDistance` ones. */
  reorderIndices?: readonly number[];
  /** Probability a received datagram arrives twice. */
  duplicateProbability?: number;
  /** Sent indices duplicated on purpose. */
  duplicateIndices?: readonly number[];
  resets?: readonly SyntheticReset[];
  /** Messages carry inputs: inputSequence = index, inputCount = this redundancy. */
  inputRedundancy?: number;
  /** Messages carry a moving entity (position + velocity roles). */
  positions?: boolean;
  /** Messages carry the sender clock (`sendTimeUs`). */
  sendTime?: boolean;
  baseDelayMs?: number;
  jitterMs?: number;
  /** Messages per datagram (header roles copied onto each, as decoders do). */
  messagesPerDatagram?: number;
  /** Acks of the peer: mark reliable and resend lost datagrams after this delay (ms), or per sent index. */
  resendAfterMs?: number | ((index: number) => number);
  /** Message type per sent index (default `messageType`). */
  messageTypeAt?: (index: number) => string;
}

/** Known truth of a generated stream. */
export interface SyntheticTruth {
  sent: number;
  /** Loss verdict per sent datagram (true = lost). */
  lost: boolean[];
  /** Datagrams lost between the first and last received datagram of each segment (what a receiver can know). */
  lostObservable: number;
  /** Datagrams sent between the first and last received datagram of each segment. */
  expectedObservable: number;
  duplicates: number;
  reordered: number;
  /** Inputs lost after redundancy (within the observable range), and inputs expected. */
  inputsLost: number;
  inputsExpected: number;
  /** Sequence on the wire of each sent datagram. */
  sequences: number[];
}

/** A generated stream: messages in arrival order (packetIndex assigned by {@link mergeStreams}). */
export interface SyntheticStream {
  messages: GameMessage[];
  truth: SyntheticTruth;
}

interface Arrival {
  tUs: number;
  order: number;
  datagram: GameMessage[];
}

/**
 * Deterministic synthetic stream with injected truth: a sender at `rateHz`
 * numbering datagrams in a `sequenceBits` space (wrap-around), a
 * Gilbert–Elliott loss process and/or losses at given indices, reordering,
 * duplicates, sequence resets with pauses, redundant inputs and moving
 * entities. Messages are returned in arrival order.
 */
export function generateStream(options: SyntheticStreamOptions): SyntheticStream {
  const random = new SeededRandom(options.seed);
  const rateHz = options.rateHz ?? 60;
  const intervalUs = 1e6 / rateHz;
  const bits = options.sequenceBits ?? 16;
  const modulus = 2 ** bits;
  const baseDelayUs = (options.baseDelayMs ?? 30) * 1000;
  const jitterUs = (options.jitterMs ?? 0) * 1000;
  const reorderDistance = options.reorderDistance ?? 3;
  const explicitLoss = new Set(options.lostIndices ?? []);
  const explicitReorder = new Set(options.reorderIndices ?? []);
  const explicitDuplicate = new Set(options.duplicateIndices ?? []);
  const resets = new Map((options.resets ?? []).map((reset) => [reset.atIndex, reset]));
  const perDatagram = options.messagesPerDatagram ?? 1;
  let bad = false;
  let sequence = options.startSequence ?? 0;
  let sendUs = options.startUs ?? 1_700_000_000_000_000;
  let x = 0;
  let velocityX = 5;
  const arrivals: Arrival[] = [];
  const lost: boolean[] = [];
  const sequences: number[] = [];
  const segmentStarts: number[] = [0];
  let duplicates = 0;
  let reordered = 0;
  let order = 0;
  for (let index = 0; index < options.datagrams; index++) {
    const reset = resets.get(index);
    if (reset !== undefined) {
      sequence = reset.newSequence;
      sendUs += (reset.pauseMs ?? 0) * 1000;
      segmentStarts.push(index);
    }
    if (index > 0) sendUs += intervalUs;
    let isLost = explicitLoss.has(index);
    if (options.loss !== undefined) {
      if (bad) {
        if (random.next() < options.loss.r) bad = false;
      } else if (random.next() < options.loss.p) {
        bad = true;
      }
      if (random.next() >= (bad ? options.loss.h : options.loss.k)) isLost = true;
    }
    const reorderDraw = random.next();
    const duplicateDraw = random.next();
    const jitterDraw = random.next();
    velocityX += (random.next() - 0.5) * 4;
    x += (velocityX * intervalUs) / 1e6;
    lost.push(isLost);
    sequences.push(sequence);
    const roles: MessageRoles = { sequence, channel: options.channel };
    if (options.sequenceBitsRole ?? true) roles.sequenceBits = bits;
    if (options.sendTime === true) roles.sendTimeUs = sendUs;
    if (options.inputRedundancy !== undefined) {
      roles.inputSequence = index;
      roles.inputCount = options.inputRedundancy;
    }
    if (options.positions === true) {
      roles.entityId = 7;
      roles.tick = index;
      roles.position = { x, y: 0, z: 0 };
      roles.velocity = { x: velocityX, y: 0, z: 0 };
    }
    if (options.resendAfterMs !== undefined) roles.reliable = true;
    const makeDatagram = (extraRoles: Partial<MessageRoles>): GameMessage[] => {
      const datagram: GameMessage[] = [];
      for (let part = 0; part < perDatagram; part++) {
        datagram.push({
          sessionId: options.sessionId ?? "session-1",
          direction: options.direction ?? "serverToClient",
          tUs: 0,
          packetIndex: 0,
          indexInPacket: part,
          type: options.messageTypeAt?.(index) ?? options.messageType ?? "snapshot",
          byteLength: 40,
          packetWireLength: 82,
          fields: {},
          roles: { ...roles, ...extraRoles },
        });
      }
      return datagram;
    };
    if (!isLost) {
      let arrivalUs = sendUs + baseDelayUs + jitterDraw * jitterUs;
      const isReordered =
        explicitReorder.has(index) || (options.reorderProbability !== undefined && reorderDraw < options.reorderProbability);
      if (isReordered) {
        arrivalUs += reorderDistance * intervalUs + 100;
        reordered += 1;
      }
      arrivals.push({ tUs: arrivalUs, order: order++, datagram: makeDatagram({}) });
      if (explicitDuplicate.has(index) || (options.duplicateProbability !== undefined && duplicateDraw < options.duplicateProbability)) {
        arrivals.push({ tUs: arrivalUs + 50, order: order++, datagram: makeDatagram({}) });
        duplicates += 1;
      }
    } else if (options.resendAfterMs !== undefined) {
      // The reliable layer resends it: one retransmission, never lost.
      const resendAfterMs = typeof options.resendAfterMs === "number" ? options.resendAfterMs : options.resendAfterMs(index);
      const arrivalUs = sendUs + resendAfterMs * 1000 + baseDelayUs;
      arrivals.push({ tUs: arrivalUs, order: order++, datagram: makeDatagram({ resendCount: 1 }) });
    }
    sequence = (sequence + 1) % modulus;
  }
  arrivals.sort((a, b) => a.tUs - b.tUs || a.order - b.order);
  const messages: GameMessage[] = [];
  for (const arrival of arrivals) {
    for (const message of arrival.datagram) {
      message.tUs = arrival.tUs;
      messages.push(message);
    }
  }
  // Observable truth, per segment.
  const delivered = (index: number): boolean => !lost[index] || options.resendAfterMs !== undefined;
  let lostObservable = 0;
  let expectedObservable = 0;
  segmentStarts.push(options.datagrams);
  for (let segment = 0; segment + 1 < segmentStarts.length; segment++) {
    let first = -1;
    let last = -1;
    for (let index = segmentStarts[segment]!; index < segmentStarts[segment + 1]!; index++) {
      if (delivered(index)) {
        if (first < 0) first = index;
        last = index;
      }
    }
    if (first < 0) continue;
    expectedObservable += last - first + 1;
    for (let index = first; index <= last; index++) if (!delivered(index)) lostObservable += 1;
  }
  let inputsLost = 0;
  let inputsExpected = 0;
  if (options.inputRedundancy !== undefined) {
    const redundancy = options.inputRedundancy;
    let firstReceived = -1;
    let lastReceived = -1;
    for (let index = 0; index < options.datagrams; index++) {
      if (delivered(index)) {
        if (firstReceived < 0) firstReceived = index;
        lastReceived = index;
      }
    }
    for (let input = firstReceived - redundancy + 1; input <= lastReceived; input++) {
      inputsExpected += 1;
      let carried = false;
      for (let datagram = Math.max(0, input); datagram <= Math.min(options.datagrams - 1, input + redundancy - 1); datagram++) {
        if (delivered(datagram)) carried = true;
      }
      if (!carried) inputsLost += 1;
    }
  }
  return {
    messages,
    truth: { sent: options.datagrams, lost, lostObservable, expectedObservable, duplicates, reordered, inputsLost, inputsExpected, sequences },
  };
}

/**
 * Merges streams into one capture-ordered message list and assigns packet
 * indices (messages of one datagram share theirs).
 */
export function mergeStreams(...streams: SyntheticStream[]): GameMessage[] {
  const all: { message: GameMessage; stream: number; position: number }[] = [];
  streams.forEach((stream, streamIndex) => stream.messages.forEach((message, position) => all.push({ message, stream: streamIndex, position })));
  all.sort((a, b) => a.message.tUs - b.message.tUs || a.stream - b.stream || a.position - b.position);
  let packetIndex = -1;
  let previous: GameMessage | undefined;
  for (const { message } of all) {
    if (previous === undefined || message.indexInPacket === 0 || message.tUs !== previous.tUs) packetIndex += 1;
    message.packetIndex = packetIndex;
    previous = message;
  }
  return all.map((entry) => entry.message);
}

/** Builds messages from an explicit list of sequences (one datagram each, `intervalMs` apart). */
export function messagesFromSequences(
  sequences: readonly number[],
  options: { sequenceBits?: number; intervalMs?: number; startUs?: number; sessionId?: string; direction?: Direction; type?: string; extra?: Partial<MessageRoles> } = {},
): GameMessage[] {
  const intervalUs = (options.intervalMs ?? 10) * 1000;
  return sequences.map((sequence, index) => ({
    sessionId: options.sessionId ?? "session-1",
    direction: options.direction ?? "serverToClient",
    tUs: (options.startUs ?? 1_000_000) + index * intervalUs,
    packetIndex: index,
    indexInPacket: 0,
    type: options.type ?? "rtp",
    byteLength: 20,
    packetWireLength: 62,
    fields: {},
    roles: { sequence, ...(options.sequenceBits === undefined ? {} : { sequenceBits: options.sequenceBits }), ...options.extra },
  }));
}
