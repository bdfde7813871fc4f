import type { Direction, FieldRecord, FieldValue, GameMessage } from "@tickscope/core";
import { copyRoles, type RetainedRoles } from "./field-values.js";
import { packetHash } from "./payload-sampler.js";

/** Length of the time blocks the trace samples, µs (1 s: a block holds about 60 updates per stream at 60 Hz). */
export const TRACE_BLOCK_US = 1_000_000;

/** Seed of the block sample (fixed: the same capture always gives the same sample). */
export const TRACE_SAMPLE_SEED = 0x0b10_c5ed;

/**
 * Start of a sampled block after a gap that only warms the trials' stream state
 * up (baselines, acks, viewers) and is not counted, µs: the receiver of a real
 * stream holds a recent baseline, a stream restarted at the gap would not.
 */
export const TRACE_WARMUP_US = 250_000;

/** A decoded message kept (copied) for re-encoding trials. */
export interface RetainedMessage {
  sessionId: string;
  direction: Direction;
  tUs: number;
  packetIndex: number;
  type: string;
  byteLength: number;
  fields: FieldRecord;
  roles: RetainedRoles;
  /** `session\u0000direction`, computed once at retention (trials reuse it instead of building it per trial). */
  directionKey?: string;
  /** `session\u0000direction\u0000type`, computed once at retention. */
  streamKey?: string;
  /** Time block (whole {@link TRACE_BLOCK_US} since the first message) the message belongs to; trials restart their stream state after a gap between sampled blocks. */
  block?: number;
  /** True for the first {@link TRACE_WARMUP_US} of a block retained after a gap (set by {@link RetainedTrace.markWarmup}): trials replay it for state but do not count it. */
  warmup?: boolean;
}

/**
 * The bounded set of messages the re-encoding trials run on, copied: every
 * message while they fit (at most `maxMessages` messages and `maxLeafValues` leaf
 * values), else a seeded, deterministic sample of whole one-second time blocks
 * spread over the capture: the blocks with the smallest hashes that fit (a
 * bottom-k sample: whenever the retained messages outgrow a bound, the retained
 * block with the largest hash is dropped and no block hashing at or above it is
 * taken again). A block larger than the bounds on its own closes the trace: its
 * first messages only. After a gap, the first {@link TRACE_WARMUP_US} of a block
 * warm the trials up and are not counted.
 * Accounting covers all traffic; trials say which share they measured.
 */
export class RetainedTrace {
  /** Retained messages in capture order. */
  readonly messages: RetainedMessage[] = [];
  private readonly leafCounts: number[] = [];
  private leafValues = 0;
  private closed = false;
  private seen = 0;
  /** Blocks whose hash is at or above this are not taken (2^32: every block). */
  private threshold = 2 ** 32;
  private readonly blockHashes = new Map<number, number>();
  private originUs: number | undefined;
  private lastUs = Number.NEGATIVE_INFINITY;
  private lastBlock = -1;
  private lastBlockQualifies = true;
  private readonly sessions = new Set<string>();

  /**
   * @param maxMessages most messages retained
   * @param maxLeafValues most leaf values retained
   * @param blockUs length of a sampled time block, µs
   * @param keepEntityPositions keep each entity's position role (interest management needs them; otherwise only their presence is kept)
   */
  constructor(
    private readonly maxMessages: number,
    private readonly maxLeafValues: number,
    private readonly blockUs = TRACE_BLOCK_US,
    private readonly keepEntityPositions = true,
  ) {}

  /** Offers a message; copies it when its block is in the sample. */
  offer(message: GameMessage): void {
    this.seen += 1;
    this.sessions.add(message.sessionId);
    this.originUs ??= message.tUs;
    if (message.tUs > this.lastUs) this.lastUs = message.tUs;
    if (this.closed) return;
    const block = Math.floor((message.tUs - this.originUs) / this.blockUs);
    if (block !== this.lastBlock) {
      this.lastBlock = block;
      this.lastBlockQualifies = this.qualifies(block);
    }
    if (!this.lastBlockQualifies) return;
    if (!this.blockHashes.has(block)) this.blockHashes.set(block, packetHash(block, TRACE_SAMPLE_SEED));
    copiedLeaves = 0;
    const fields = copyCounting(message.fields) as FieldRecord;
    const leaves = copiedLeaves;
    const directionKey = `${message.sessionId}\u0000${message.direction}`;
    this.messages.push({
      sessionId: message.sessionId,
      direction: message.direction,
      tUs: message.tUs,
      packetIndex: message.packetIndex,
      type: message.type,
      byteLength: message.byteLength,
      fields,
      roles: copyRoles(message.roles, this.keepEntityPositions),
      directionKey,
      streamKey: `${directionKey}\u0000${message.type}`,
      block,
    });
    this.leafCounts.push(leaves);
    this.leafValues += leaves;
    while (this.messages.length > this.maxMessages || this.leafValues > this.maxLeafValues) {
      if (this.messages[0]!.block === block) {
        // One block alone is over the bounds: keep its first messages and close.
        this.messages.pop();
        this.leafValues -= this.leafCounts.pop()!;
        this.closed = true;
        return;
      }
      this.dropLargestBlock();
      this.lastBlockQualifies = this.qualifies(block);
    }
  }

  /** Messages offered, retained or not. */
  get offered(): number {
    return this.seen;
  }

  /** Sessions of the messages offered, retained or not. */
  get offeredSessions(): number {
    return this.sessions.size;
  }

  /** True when some offered messages are not in the trace. */
  get truncated(): boolean {
    return this.closed || this.sampled;
  }

  /** True when the trace is a sample of blocks (not the first messages, not everything). */
  get sampled(): boolean {
    return this.threshold < 2 ** 32;
  }

  /** Distinct blocks of the retained messages, ascending. */
  get sampledBlocks(): number[] {
    const blocks = new Set<number>();
    for (const message of this.messages) blocks.add(message.block!);
    return [...blocks].sort((a, b) => a - b);
  }

  /** Blocks the offered messages span (the population the block sample was drawn from). */
  get offeredBlocks(): number {
    return this.originUs === undefined ? 0 : Math.floor((this.lastUs - this.originUs) / this.blockUs) + 1;
  }

  /**
   * Duration the counted messages stand for, µs: from the first to the last
   * retained message when they are one run, else the sum over the sampled
   * blocks of the part of each block inside the capture, less the warm-up of
   * blocks that follow a gap.
   */
  get durationUs(): number {
    const first = this.messages[0];
    const last = this.messages[this.messages.length - 1];
    if (first === undefined || last === undefined) return 0;
    if (!this.sampled) return last.tUs - first.tUs;
    const origin = this.originUs!;
    let total = 0;
    let previous: number | undefined;
    for (const block of this.sampledBlocks) {
      const start = origin + block * this.blockUs;
      const part = Math.max(0, Math.min(start + this.blockUs, this.lastUs) - start);
      const warmup = startsAfterGap(previous, block) ? Math.min(TRACE_WARMUP_US, part) : 0;
      total += part - warmup;
      previous = block;
    }
    return total;
  }

  /**
   * Flags the warm-up messages (the first {@link TRACE_WARMUP_US} of each block
   * that follows a gap) once the sample is final; returns how many were flagged.
   */
  markWarmup(): number {
    if (!this.sampled) return 0;
    const origin = this.originUs!;
    let flagged = 0;
    let current: number | undefined;
    let warmupEndUs = Number.NEGATIVE_INFINITY;
    for (const message of this.messages) {
      const block = message.block!;
      if (block !== current) {
        warmupEndUs = startsAfterGap(current, block) ? origin + block * this.blockUs + TRACE_WARMUP_US : Number.NEGATIVE_INFINITY;
        current = block;
      }
      if (message.tUs < warmupEndUs) {
        message.warmup = true;
        flagged += 1;
      } else if (message.warmup === true) {
        delete message.warmup;
      }
    }
    return flagged;
  }

  private qualifies(block: number): boolean {
    return this.threshold >= 2 ** 32 || packetHash(block, TRACE_SAMPLE_SEED) < this.threshold;
  }

  private dropLargestBlock(): void {
    let largest = -1;
    for (const message of this.messages) {
      const hash = this.blockHashes.get(message.block!)!;
      if (hash > largest) largest = hash;
    }
    this.threshold = largest;
    let kept = 0;
    let leafValues = 0;
    for (let index = 0; index < this.messages.length; index++) {
      const message = this.messages[index]!;
      if (this.blockHashes.get(message.block!)! >= largest) continue;
      this.messages[kept] = message;
      this.leafCounts[kept] = this.leafCounts[index]!;
      leafValues += this.leafCounts[index]!;
      kept += 1;
    }
    this.messages.length = kept;
    this.leafCounts.length = kept;
    this.leafValues = leafValues;
  }
}

/**
 * Whether a retained block starts over after a gap (the block before it was not
 * retained; the capture's first block is a real start): its first
 * {@link TRACE_WARMUP_US} only warm the trials up.
 */
export function startsAfterGap(previousBlock: number | undefined, block: number): boolean {
  return previousBlock === undefined ? block > 0 : block > previousBlock + 1;
}

/** Leaves counted by the running {@link copyCounting} call. */
let copiedLeaves = 0;

/** Deep copy of a decoded field value (byte arrays copied) that counts its leaves in `copiedLeaves`: one walk instead of a count and a copy. */
function copyCounting(value: FieldValue): FieldValue {
  if (value === null || typeof value !== "object") {
    copiedLeaves += 1;
    return value;
  }
  if (value instanceof Uint8Array) {
    copiedLeaves += 1;
    return value.slice();
  }
  if (Array.isArray(value)) return (value as readonly FieldValue[]).map(copyCounting);
  const record = value as Record<string, FieldValue>;
  const result: Record<string, FieldValue> = {};
  for (const key in record) result[key] = copyCounting(record[key]!);
  return result;
}
