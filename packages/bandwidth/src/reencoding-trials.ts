import { serialAdd, type Direction, type FieldRecord, type FieldValue, type SerialNumber, type Vector3 } from "@tickscope/core";
import type { EncodingVariant, Reencoder } from "./reencoder.js";
import type { RetainedMessage } from "./trace.js";

/** One re-encoding configuration applied to the retained trace. */
export interface TrialConfig {
  /** Encoding changes (quantization, delta). */
  variant: EncodingVariant;
  /** Keep one message in `k` per stream for these types (update-rate reduction). */
  updateEvery?: ReadonlyMap<string, number>;
  /** Drop entities farther than this from the receiving player (interest management). */
  relevanceRadius?: number;
  /** Baseline history kept per stream (sequence → message). */
  historySize?: number;
  /** Records the delta baselines this trial chooses (when it has delta encoding and neither `updateEvery` nor `relevanceRadius`). */
  recordBaselines?: TrialBaselines;
  /** Baselines a trial over the same messages and flow recorded: used instead of following the acks again when they apply ({@link TrialBaselines.appliesTo}). */
  baselines?: TrialBaselines;
  /** Records the size of every message this trial re-encodes (when it has neither delta encoding nor interest management). */
  recordSizes?: TrialSizes;
  /** Sizes a trial over the same messages with the same encoding recorded: used instead of encoding again when they apply ({@link TrialSizes.appliesTo}). */
  sizes?: TrialSizes;
  /** A second encoding measured over the same flow in the same walk (see {@link CompanionTrial}). */
  companion?: CompanionTrial;
}

/**
 * A second encoding measured by a trial in the same walk over the messages: the result a trial
 * with `variant` over the same flow would give, without walking the messages and their streams
 * again — beside a delta trial, the result of a trial replaying the baselines it chooses
 * ({@link TrialBaselines}: delta trials over the same flow choose the same baselines). Measured only
 * by a trial without update-rate thinning, interest management, a listener or replayed sizes, and
 * only when both or neither of the encodings have delta encoding; `result` stays undefined otherwise.
 */
export class CompanionTrial {
  /** The companion's result, once a trial measured it. */
  result: TrialResult | undefined;

  /** @param variant the second encoding */
  constructor(readonly variant: EncodingVariant) {}
}

/** A recorded size: the message was not re-encoded by the recording trial. */
const SIZE_UNKNOWN = -1;
/** A recorded size: re-encoding the message failed. */
const SIZE_FAILED = -2;

/**
 * The encoded sizes one trial without delta encoding or interest management
 * measured, by message index. Such a size depends only on the message and the
 * variant's quantizations and quaternions, so another trial over the same
 * messages with the same maps (an update-rate trial keeps a subset of them)
 * reads it instead of encoding the message again.
 */
export class TrialSizes {
  private messages: readonly RetainedMessage[] | undefined;
  private length = 0;
  private reencoder: Reencoder | undefined;
  private variant: EncodingVariant | undefined;
  private complete = false;
  /** @internal size by message index (SIZE_UNKNOWN, SIZE_FAILED or bytes) */
  sizes = new Float64Array(0);

  /** Whether a trial with this configuration over these messages encodes every message to the recorded size. */
  appliesTo(messages: readonly RetainedMessage[], reencoder: Reencoder | undefined, config: TrialConfig): boolean {
    return (
      this.complete &&
      messages === this.messages &&
      messages.length === this.length &&
      reencoder === this.reencoder &&
      config.variant.delta === undefined &&
      config.relevanceRadius === undefined &&
      config.variant.quantize === this.variant!.quantize &&
      config.variant.smallestThree === this.variant!.smallestThree
    );
  }

  /** @internal starts a recording (forgets any earlier one) */
  start(messages: readonly RetainedMessage[], reencoder: Reencoder | undefined, variant: EncodingVariant): void {
    this.messages = messages;
    this.length = messages.length;
    this.reencoder = reencoder;
    this.variant = variant;
    this.complete = false;
    this.sizes = new Float64Array(messages.length).fill(SIZE_UNKNOWN);
  }

  /** @internal ends a recording */
  finish(): void {
    this.complete = true;
  }
}

/** How a counted message's delta baseline was chosen. */
const NO_BASELINE = 0;
const ACKED_BASELINE = 1;
const LAST_SENT_BASELINE = 2;

/**
 * The delta baselines one trial chose, message by message. Baselines follow the messages,
 * their sequences and acks — not how messages are encoded — so another delta trial over the
 * same messages with the same flow (no update-rate thinning, no interest management, the
 * same history size) chooses the same ones, and replays them instead of following the acks again.
 */
export class TrialBaselines {
  private messages: readonly RetainedMessage[] | undefined;
  private length = 0;
  private reencoder: Reencoder | undefined;
  private historySize = 0;
  private complete = false;
  /** @internal the baselines of the counted, re-encodable messages, in order */
  readonly chosen: (RetainedBaseline | undefined)[] = [];
  /** @internal how each was chosen (NO_BASELINE, ACKED_BASELINE, LAST_SENT_BASELINE) */
  readonly kinds: number[] = [];

  /** Whether a trial with this configuration over these messages chooses the recorded baselines. */
  appliesTo(messages: readonly RetainedMessage[], reencoder: Reencoder | undefined, config: TrialConfig): boolean {
    return (
      this.complete &&
      messages === this.messages &&
      messages.length === this.length &&
      reencoder === this.reencoder &&
      (config.historySize ?? 1024) === this.historySize &&
      config.variant.delta !== undefined &&
      config.updateEvery === undefined &&
      config.relevanceRadius === undefined
    );
  }

  /** @internal starts a recording (forgets any earlier one) */
  start(messages: readonly RetainedMessage[], reencoder: Reencoder | undefined, historySize: number): void {
    this.messages = messages;
    this.length = messages.length;
    this.reencoder = reencoder;
    this.historySize = historySize;
    this.complete = false;
    this.chosen.length = 0;
    this.kinds.length = 0;
  }

  /** @internal ends a recording */
  finish(): void {
    this.complete = true;
  }
}

/** Bytes after a trial for one session direction. */
export interface TrialStream {
  session: string;
  direction: Direction;
  bytes: number;
  /** Datagrams that still carry at least one message. */
  packets: number;
}

/** Outcome of one trial. */
export interface TrialResult {
  /** Message bytes after the change (re-encoded sizes; captured sizes for types the re-encoder does not know). */
  bytes: number;
  /** Message bytes before (captured sizes). */
  bytesBefore: number;
  /** Messages re-encoded / kept at their captured size / dropped (rate, none here). */
  reencodedMessages: number;
  passthroughMessages: number;
  droppedMessages: number;
  /** Delta-encoded messages that had an acknowledged baseline / fell back to the last sent one / had none. */
  ackedBaselines: number;
  lastSentBaselines: number;
  noBaseline: number;
  /** Fallbacks to the last sent message, per direction. */
  lastSentByDirection: Record<Direction, number>;
  /** Entities removed by interest management. */
  entitiesDropped: number;
  /** Messages whose re-encoding failed (kept at their captured size). */
  encodeFailures: number;
  /** Re-encoded messages whose size differs from their captured size (the identity trial's check of the layouts). */
  sizeMismatches: number;
  /** Per session direction, sorted. */
  streams: TrialStream[];
  /** Message bytes after the change per time block of the trace ({@link RetainedMessage.block}; messages without one count in block 0). */
  bytesByBlock: Map<number, number>;
}

/** Called for every re-encoded message (the bytes view is valid only during the call). */
export type EncodedMessageListener = (message: RetainedMessage, sentFields: FieldRecord, bytes: Uint8Array, baseline: RetainedBaseline | undefined) => void;

/** A baseline: the message it came from and the fields that were sent. */
export interface RetainedBaseline {
  message: RetainedMessage;
  fields: FieldRecord;
}

function opposite(direction: Direction): Direction {
  return direction === "clientToServer" ? "serverToClient" : "clientToServer";
}

function distance(a: Vector3, b: Vector3): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  const dz = a.z - b.z;
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/** Reverse-direction keys by direction key (`session\u0000direction` → the peer's), built once per session direction. */
const oppositeKeys = new Map<string, string>();

/** Most reverse-direction keys cached (the cache is emptied past it: memory stays bounded over many captures). */
const MAX_OPPOSITE_KEYS = 65_536;

/** `session\u0000direction` of the peer of a message's direction. */
function oppositeKey(message: RetainedMessage): string {
  const own = message.directionKey;
  if (own === undefined) return `${message.sessionId}\u0000${opposite(message.direction)}`;
  let key = oppositeKeys.get(own);
  if (key === undefined) {
    key = `${message.sessionId}\u0000${opposite(message.direction)}`;
    if (oppositeKeys.size >= MAX_OPPOSITE_KEYS) oppositeKeys.clear();
    oppositeKeys.set(own, key);
  }
  return key;
}

/** Session directions whose messages are acknowledged by the peer (the peer sends `ack` roles). */
export function acknowledgedDirections(messages: readonly RetainedMessage[]): Set<string> {
  const result = new Set<string>();
  for (const message of messages) {
    if (message.roles.ack !== undefined) result.add(oppositeKey(message));
  }
  return result;
}

/**
 * Re-encodes the retained trace with one configuration and sums the real
 * encoded sizes. Delta baselines follow the acknowledgements in the trace:
 * the baseline of a stream (session, direction, type) is the newest message
 * whose sequence the peer acknowledged (`ack` + `ackBits`); when the peer sends
 * no acks, the last sent message of the stream (not loss-tolerant).
 */
export function runTrial(
  messages: readonly RetainedMessage[],
  reencoder: Reencoder | undefined,
  config: TrialConfig,
  listener?: EncodedMessageListener,
): TrialResult {
  const historySize = config.historySize ?? 1024;
  const replay = config.baselines !== undefined && config.baselines.appliesTo(messages, reencoder, config) ? config.baselines : undefined;
  const record =
    replay === undefined && config.recordBaselines !== undefined && config.variant.delta !== undefined && config.updateEvery === undefined && config.relevanceRadius === undefined
      ? config.recordBaselines
      : undefined;
  record?.start(messages, reencoder, historySize);
  let replayed = 0;
  const knownSizes = listener === undefined && config.sizes !== undefined && config.sizes.appliesTo(messages, reencoder, config) ? config.sizes.sizes : undefined;
  const recordSizes =
    knownSizes === undefined && config.recordSizes !== undefined && config.variant.delta === undefined && config.relevanceRadius === undefined ? config.recordSizes : undefined;
  // Every trial's variant in one object shape (the encoders' property reads stay monomorphic from trial to trial).
  const variant: EncodingVariant = { quantize: config.variant.quantize, smallestThree: config.variant.smallestThree, delta: config.variant.delta };
  recordSizes?.start(messages, reencoder, variant);
  const sizesOut = recordSizes?.sizes;
  let messageIndex = -1;
  const acked = config.variant.delta === undefined || replay !== undefined ? new Set<string>() : acknowledgedDirections(messages);
  // One state per stream (session, direction, type) and the streams with a history per session direction: cleared at a gap.
  const streamStates = new Map<string, StreamTrialState>();
  const historiesOfDirection = new Map<string, StreamTrialState[]>();
  const stateOf = (streamKey: string): StreamTrialState => {
    let state = streamStates.get(streamKey);
    if (state === undefined) {
      state = { entries: undefined, pending: [], newestUs: Number.NEGATIVE_INFINITY, acked: undefined, lastSent: undefined, kept: 0 };
      streamStates.set(streamKey, state);
    }
    return state;
  };
  const viewers = new Map<string, Vector3>();
  const playerIds = new Map<string, number>();
  const streams = new Map<string, TrialStream & { lastPacket: number; companionBytes: number }>();
  const acknowledged: SerialNumber[] = [];
  const result: TrialResult = {
    bytes: 0,
    bytesBefore: 0,
    reencodedMessages: 0,
    passthroughMessages: 0,
    droppedMessages: 0,
    ackedBaselines: 0,
    lastSentBaselines: 0,
    noBaseline: 0,
    lastSentByDirection: { clientToServer: 0, serverToClient: 0 },
    entitiesDropped: 0,
    encodeFailures: 0,
    sizeMismatches: 0,
    streams: [],
    bytesByBlock: new Map(),
  };
  // Sizes only (no bytes) unless a listener wants the bytes.
  const encodedLength =
    reencoder?.encodedLength !== undefined
      ? reencoder.encodedLength.bind(reencoder)
      : (type: string, fields: FieldRecord, variant: EncodingVariant, baseline: FieldRecord | undefined): number => reencoder!.encode(type, fields, variant, baseline).length;
  // The companion encoding: measured beside the main one, with the same baselines (see CompanionTrial).
  const companion =
    config.companion !== undefined &&
    (config.variant.delta !== undefined) === (config.companion.variant.delta !== undefined) &&
    listener === undefined &&
    knownSizes === undefined &&
    config.updateEvery === undefined &&
    config.relevanceRadius === undefined
      ? config.companion
      : undefined;
  if (config.companion !== undefined) config.companion.result = undefined;
  const companionVariant: EncodingVariant | undefined =
    companion === undefined ? undefined : { quantize: companion.variant.quantize, smallestThree: companion.variant.smallestThree, delta: companion.variant.delta };
  let companionBytes = 0;
  let companionReencoded = 0;
  let companionFailures = 0;
  let companionMismatches = 0;
  let companionRunBytes = 0;
  const companionByBlock = new Map<number, number>();
  // Bytes after of the current run of one block (added to bytesByBlock when the block changes: one Map update per run).
  let runBlock = 0;
  let runBytes = 0;
  let runCounted = false;
  const flushRun = (): void => {
    if (runCounted) {
      result.bytesByBlock.set(runBlock, (result.bytesByBlock.get(runBlock) ?? 0) + runBytes);
      if (companion !== undefined) companionByBlock.set(runBlock, (companionByBlock.get(runBlock) ?? 0) + companionRunBytes);
    }
    runBytes = 0;
    companionRunBytes = 0;
    runCounted = false;
  };
  const delta = config.variant.delta !== undefined;
  let previousBlock: number | undefined;
  for (const message of messages) {
    messageIndex += 1;
    // Warm-up messages (after a gap between sampled blocks) build state only: nothing about them is counted.
    const counted = message.warmup !== true;
    if (counted) result.bytesBefore += message.byteLength;
    const block = message.block ?? 0;
    if (previousBlock !== undefined && block > previousBlock + 1) {
      // A gap between sampled blocks: the receiver's state from before the gap is not the state it would hold now; streams start over.
      streamStates.clear();
      historiesOfDirection.clear();
      viewers.clear();
      playerIds.clear();
    }
    previousBlock = block;
    if (block !== runBlock) {
      flushRun();
      runBlock = block;
    }
    const directionKey = message.directionKey ?? `${message.sessionId}\u0000${message.direction}`;
    const roles = message.roles;
    if (roles.playerId !== undefined && message.direction === "clientToServer") playerIds.set(message.sessionId, roles.playerId);
    if (roles.position !== undefined && message.direction === "clientToServer") viewers.set(message.sessionId, roles.position);
    if (roles.ack !== undefined && delta && replay === undefined) applyAck(message, historiesOfDirection, acknowledged);
    const streamKey = message.streamKey ?? `${directionKey}\u0000${message.type}`;
    const every = config.updateEvery?.get(message.type);
    if (every !== undefined && every > 1) {
      const state = stateOf(streamKey);
      const count = state.kept;
      state.kept = count + 1;
      if (count % every !== 0) {
        if (counted) result.droppedMessages += 1;
        continue;
      }
    }
    let stream = streams.get(directionKey);
    if (stream === undefined) {
      stream = { session: message.sessionId, direction: message.direction, bytes: 0, packets: 0, lastPacket: -1, companionBytes: 0 };
      streams.set(directionKey, stream);
    }
    if (counted && stream.lastPacket !== message.packetIndex) {
      stream.packets += 1;
      stream.lastPacket = message.packetIndex;
    }
    let fields = message.fields;
    if (config.relevanceRadius !== undefined && reencoder !== undefined && message.direction === "serverToClient") {
      const playerId = playerIds.get(message.sessionId);
      let viewer = viewers.get(message.sessionId);
      if (viewer === undefined && playerId !== undefined) {
        const own = roles.entities?.find((entity) => entity.entityId === playerId)?.position;
        if (own !== undefined) viewer = own;
      }
      if (viewer !== undefined) fields = filterFarEntities(reencoder, message, fields, viewer, playerId, config.relevanceRadius, result);
    }
    const leaves = reencoder?.leaves(message.type);
    if (reencoder === undefined || leaves === undefined) {
      if (counted) {
        result.passthroughMessages += 1;
        result.bytes += message.byteLength;
        stream.bytes += message.byteLength;
        runBytes += message.byteLength;
        runCounted = true;
        if (companion !== undefined) {
          companionBytes += message.byteLength;
          stream.companionBytes += message.byteLength;
          companionRunBytes += message.byteLength;
        }
      }
      continue;
    }
    // Without delta encoding a message not counted leaves no state behind; with it, only its fields (below): its own encoding is never used.
    // Replaying recorded baselines, such a message has nothing left to do.
    if (!counted && (!delta || replay !== undefined)) continue;
    const state = delta && replay === undefined ? stateOf(streamKey) : undefined;
    if (counted) {
      let baseline: RetainedBaseline | undefined;
      let kind = NO_BASELINE;
      if (replay !== undefined) {
        baseline = replay.chosen[replayed];
        kind = replay.kinds[replayed]!;
        replayed += 1;
      } else if (state !== undefined) {
        if (acked.has(directionKey) && roles.sequence !== undefined) {
          baseline = state.acked;
          if (baseline !== undefined) kind = ACKED_BASELINE;
        } else {
          baseline = state.lastSent;
          if (baseline !== undefined) kind = LAST_SENT_BASELINE;
        }
        if (record !== undefined) {
          record.chosen.push(baseline);
          record.kinds.push(kind);
        }
      }
      if (delta) {
        if (kind === ACKED_BASELINE) {
          result.ackedBaselines += 1;
        } else if (kind === LAST_SENT_BASELINE) {
          result.lastSentBaselines += 1;
          result.lastSentByDirection[message.direction] += 1;
        } else {
          result.noBaseline += 1;
        }
      }
      let size: number;
      const known = knownSizes === undefined ? SIZE_UNKNOWN : knownSizes[messageIndex]!;
      if (known >= 0) {
        size = known;
        result.reencodedMessages += 1;
        if (size !== message.byteLength) result.sizeMismatches += 1;
      } else if (known === SIZE_FAILED) {
        result.encodeFailures += 1;
        size = message.byteLength;
      } else {
        try {
          if (listener === undefined) {
            size = encodedLength(message.type, fields, variant, baseline?.fields);
          } else {
            const bytes = reencoder.encode(message.type, fields, variant, baseline?.fields);
            size = bytes.length;
            listener(message, fields, bytes, baseline);
          }
          result.reencodedMessages += 1;
          if (size !== message.byteLength) result.sizeMismatches += 1;
          if (sizesOut !== undefined) sizesOut[messageIndex] = size;
        } catch {
          result.encodeFailures += 1;
          size = message.byteLength;
          if (sizesOut !== undefined) sizesOut[messageIndex] = SIZE_FAILED;
        }
      }
      result.bytes += size;
      stream.bytes += size;
      runBytes += size;
      runCounted = true;
      if (companionVariant !== undefined) {
        let companionSize: number;
        try {
          companionSize = encodedLength(message.type, fields, companionVariant, baseline?.fields);
          companionReencoded += 1;
          if (companionSize !== message.byteLength) companionMismatches += 1;
        } catch {
          companionFailures += 1;
          companionSize = message.byteLength;
        }
        companionBytes += companionSize;
        stream.companionBytes += companionSize;
        companionRunBytes += companionSize;
      }
    }
    if (state !== undefined) {
      const sent: RetainedBaseline = { message, fields };
      state.lastSent = sent;
      if (roles.sequence !== undefined) {
        let entries = state.entries;
        if (entries === undefined) {
          entries = new Map();
          state.entries = entries;
          let list = historiesOfDirection.get(directionKey);
          if (list === undefined) {
            list = [];
            historiesOfDirection.set(directionKey, list);
          }
          list.push(state);
        }
        const replaced = entries.get(roles.sequence);
        if (replaced !== undefined) {
          replaced.live = false;
          entries.delete(roles.sequence);
        }
        const entry: HistoryEntry = { sequence: roles.sequence, baseline: sent, live: true };
        entries.set(roles.sequence, entry);
        // Only a message newer than the acknowledged one can become the acknowledged one.
        if (state.acked === undefined || message.tUs > state.acked.message.tUs) addPending(state, entry, historySize);
        if (message.tUs > state.newestUs) state.newestUs = message.tUs;
        if (entries.size > historySize) {
          const oldest = entries.keys().next().value!;
          entries.get(oldest)!.live = false;
          entries.delete(oldest);
        }
      }
    }
  }
  flushRun();
  record?.finish();
  recordSizes?.finish();
  const sortedStreams = [...streams.values()].sort((a, b) =>
    a.session < b.session ? -1 : a.session > b.session ? 1 : a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0,
  );
  result.streams = sortedStreams.map(({ session, direction, bytes, packets }) => ({ session, direction, bytes, packets }));
  if (companion !== undefined) {
    companion.result = {
      ...result,
      bytes: companionBytes,
      reencodedMessages: companionReencoded,
      encodeFailures: companionFailures,
      sizeMismatches: companionMismatches,
      lastSentByDirection: { ...result.lastSentByDirection },
      streams: sortedStreams.map(({ session, direction, companionBytes: bytes, packets }) => ({ session, direction, bytes, packets })),
      bytesByBlock: companionByBlock,
    };
  }
  return result;
}

/** A sent message in a stream's history, under its sequence. */
interface HistoryEntry {
  sequence: SerialNumber;
  baseline: RetainedBaseline;
  /** False once the history dropped it (full, or the sequence was sent again). */
  live: boolean;
}

/** Adds a pending entry; past twice the history size, drops the entries no longer in the history (at most `historySize` are). */
function addPending(state: StreamTrialState, entry: HistoryEntry, historySize: number): void {
  state.pending.push(entry);
  if (state.pending.length > 2 * historySize + 2) state.pending = state.pending.filter((item) => item.live);
}

/** Same key for a Map (SameValueZero): `===`, and NaN equals NaN. */
function sameKey(a: SerialNumber, b: SerialNumber): boolean {
  return a === b || (a !== a && b !== b);
}

/** Delta state of one stream (session, direction, type) in a trial. */
interface StreamTrialState {
  /** Sent messages by sequence (the newest `historySize`), once the stream has sent a sequence. */
  entries: Map<SerialNumber, HistoryEntry> | undefined;
  /**
   * The entries that were newer than the acknowledged message when they were put in
   * `entries` (and those gone since: `live` false), in the order they were put: every
   * entry that could replace the acknowledged message (it is only ever replaced by a newer one).
   */
  pending: HistoryEntry[];
  /** Latest capture time ever put in `entries` (never lowered: no entry is newer). */
  newestUs: number;
  /** Newest acknowledged message. */
  acked: RetainedBaseline | undefined;
  /** Last sent message. */
  lastSent: RetainedBaseline | undefined;
  /** Messages seen (update-rate reduction keeps one in N). */
  kept: number;
}

/**
 * Moves each stream of the peer's direction to the newest message the ack
 * acknowledges. A stream whose acknowledged message is already at least as new
 * as anything in its history is left alone (nothing can replace it), and the
 * search of one stops as soon as it reaches that point.
 */
function applyAck(message: RetainedMessage, historiesOfDirection: Map<string, StreamTrialState[]>, acknowledged: SerialNumber[]): void {
  const states = historiesOfDirection.get(oppositeKey(message));
  if (states === undefined) return;
  let collected = false;
  for (let position = 0; position < states.length; position++) {
    const state = states[position]!;
    let best = state.acked;
    if (best !== undefined && best.message.tUs >= state.newestUs) continue;
    const pending = state.pending;
    // No entry newer than the acknowledged one: nothing can replace it.
    if (pending.length === 0) continue;
    if (!collected) {
      collectAcknowledged(message.roles.ack!, message.roles.ackBits, message.roles.ackBitsWidth, message.roles.sequenceBits, acknowledged);
      collected = true;
    }
    // The entries not pending are no newer than `best`: looking among the pending ones finds the same best
    // (a few of them are compared directly; many are looked up in the history).
    const entries = pending.length <= PENDING_SCAN_LIMIT ? undefined : state.entries!;
    for (let index = 0; index < acknowledged.length; index++) {
      const sequence = acknowledged[index]!;
      let entry: RetainedBaseline | undefined;
      if (entries !== undefined) {
        entry = entries.get(sequence)?.baseline;
      } else {
        for (let item = 0; item < pending.length; item++) {
          const candidate = pending[item]!;
          if (candidate.live && sameKey(candidate.sequence, sequence)) {
            entry = candidate.baseline;
            break;
          }
        }
      }
      if (entry !== undefined && (best === undefined || entry.message.tUs > best.message.tUs)) {
        best = entry;
        if (entry.message.tUs >= state.newestUs) break;
      }
    }
    if (best !== undefined && best !== state.acked) {
      state.acked = best;
      const ackedUs = best.message.tUs;
      state.pending = pending.filter((item) => item.live && item.baseline.message.tUs > ackedUs);
    }
  }
}

/** Most pending entries compared directly with each acknowledged sequence (beyond, the history is looked up). */
const PENDING_SCAN_LIMIT = 8;

/**
 * Fills `into` with the sequence numbers an ack acknowledges: `ack` itself, then
 * `ack − 1 − bit` for every set bit of `ackBits` (low bit first), each the exact
 * wire value (wrapping at `sequenceBits`, as {@link serialAdd}). Computed once per
 * ack message, not once per stream; small integer sequences skip `serialAdd`.
 */
export function collectAcknowledged(ack: SerialNumber, ackBits: number | undefined, ackBitsWidth: number | undefined, sequenceBits: number | undefined, into: SerialNumber[]): void {
  into.length = 0;
  into.push(ack);
  const bits = ackBits ?? 0;
  const width = ackBitsWidth ?? (ackBits === undefined ? 0 : 32);
  if (width === 0) return;
  const modulus = sequenceBits === undefined ? 0 : 2 ** sequenceBits;
  // Plain arithmetic is serialAdd's result when the ack is an integer inside its field (wraps at most once: offsets ≥ −33).
  const plain =
    typeof ack === "number" &&
    Number.isSafeInteger(ack) &&
    (sequenceBits === undefined ? true : sequenceBits >= 6 && sequenceBits <= 52 && ack >= 0 && ack < modulus);
  const at = (offset: number): SerialNumber => {
    if (!plain) return serialAdd(ack, offset, sequenceBits);
    const value = (ack as number) + offset;
    return modulus > 0 && value < 0 ? value + modulus : value;
  };
  // Fast path: the acked set fits in 32 bits (bit operations instead of divisions), set bits only.
  if (width <= 32 && bits >= 0 && bits <= 0xffffffff && Number.isInteger(bits)) {
    let remaining = (width >= 32 ? bits : bits % 2 ** width) >>> 0;
    while (remaining !== 0) {
      const lowest = remaining & -remaining;
      const bit = 31 - Math.clz32(lowest);
      into.push(at(-1 - bit));
      remaining = (remaining ^ lowest) >>> 0;
    }
    return;
  }
  for (let bit = 0; bit < width; bit++) {
    if (Math.floor(bits / 2 ** bit) % 2 === 1) into.push(at(-1 - bit));
  }
}

function filterFarEntities(
  reencoder: Reencoder,
  message: RetainedMessage,
  fields: FieldRecord,
  viewer: Vector3,
  playerId: number | undefined,
  radius: number,
  result: TrialResult,
): FieldRecord {
  const arrays = reencoder.entityArrays(message.type);
  const entities = message.roles.entities;
  if (arrays.length === 0 || entities === undefined) return fields;
  const positions = new Map<number, Vector3>();
  for (const entity of entities) if (entity.position !== undefined) positions.set(entity.entityId, entity.position);
  let copy: FieldRecord | undefined;
  for (const array of arrays) {
    const items = fields[array.field];
    if (!Array.isArray(items)) continue;
    const kept: FieldValue[] = [];
    for (let index = 0; index < items.length; index++) {
      const item = items[index] as FieldValue;
      let id = index;
      if (array.keyField !== undefined && item !== null && typeof item === "object" && !Array.isArray(item) && !(item instanceof Uint8Array)) {
        id = Number((item as Record<string, FieldValue>)[array.keyField]);
      }
      const position = positions.get(id);
      if (position === undefined || id === playerId || distance(position, viewer) <= radius) kept.push(item);
      else result.entitiesDropped += 1;
    }
    if (kept.length !== items.length) {
      copy ??= { ...fields };
      copy[array.field] = kept;
    }
  }
  return copy ?? fields;
}
