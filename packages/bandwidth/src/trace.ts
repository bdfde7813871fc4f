import type { Direction, FieldRecord, FieldValue, GameMessage, PacketObservation } from "@tickscope/core";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { Value } from "@sinclair/typebox/value";
import { retainedMessageSchema, type TraceState } from "./bandwidth-state.js";
import { copyRoles, type RetainedRoles } from "./field-values.js";
import { FieldArena, type ArenaRange } from "./field-arena.js";
import type { FieldLeafCounter } from "./field-leaf-counter.js";
import { PendingDatagrams, type RedecodedMessage, type RetainedFieldDecoder } from "./pending-datagrams.js";
import { packetHash } from "./payload-sampler.js";
import { addSharedBlockCounts, sharedSampleBound } from "./shared-block-counts.js";
import { badPartial, checkPlainFieldValue, decodeFieldValue, encodeFieldValue, type EncodedFieldValue } from "./state-values.js";

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

/** Fields of a kept message until its tree is read from the arena (never seen outside the trace). */
const PENDING_FIELDS: FieldRecord = Object.freeze({}) as FieldRecord;

/** Roles of a kept message until they are read from the arena. */
const PENDING_ROLES: RetainedRoles = Object.freeze({});

/** Key strings of one session direction (see {@link RetainedTrace.offer}). */
interface DirectionKeys {
  /** `session\u0000direction`. */
  directionKey: string;
  /** `session\u0000direction\u0000type` by type. */
  streamKeys: Map<string, string>;
}

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
  /** Time block (whole {@link TRACE_BLOCK_US} since the Unix epoch) the message belongs to; trials restart their stream state after a gap between sampled blocks. */
  block?: number;
  /** True for the first {@link TRACE_WARMUP_US} of a block retained after a gap (set by {@link RetainedTrace.markWarmup}): trials replay it for state but do not count it. */
  warmup?: boolean;
}

/**
 * The bounded set of messages the re-encoding trials run on, copied: every
 * message while they fit (at most `maxMessages` messages and `maxLeafValues` leaf
 * values), else a seeded, deterministic sample of whole one-second time blocks
 * spread over the capture. Blocks are seconds of the Unix epoch (not of the first
 * message), hashed with a fixed seed; the sample is the blocks with the smallest
 * hashes that fit together (bottom-k: whenever the retained messages outgrow a
 * bound, the retained blocks with the largest hash are dropped and no block hashing
 * at or above it is taken again). When the smallest-hash block alone is over the
 * bounds, the trace is its first messages (arrival order) that fit.
 *
 * The sample depends only on the messages offered, not on the order the
 * sessions were fed in or on which pass saw which session: passes over disjoint
 * sessions, or consecutive files, merge ({@link RetainedTrace.mergeFrom}) into the
 * trace one pass over everything keeps. After a gap, the first
 * {@link TRACE_WARMUP_US} of a block warm the trials up and are not counted.
 * Accounting covers all traffic; trials say which share they measured.
 */
export class RetainedTrace {
  /** Retained messages in capture order; those from `materialized` on hold {@link PENDING_FIELDS} until {@link materialize}. */
  private entries: RetainedMessage[] = [];
  /** Field trees and roles of the retained messages not yet materialized (written while streaming: no objects per record or number). */
  private readonly arena = new FieldArena();
  /** Arena range end of each entry from `materialized` on (an entry whose datagram is decoded later has an empty range). */
  private ranges: ArenaRange[] = [];
  /** Payload copies of the entries from `materialized` on whose fields are decoded at {@link materialize} (index-aligned with `ranges`). */
  private readonly pending = new PendingDatagrams();
  /** Decodes the pending entries' datagrams again (see {@link RetainedTrace.decodeLater}). */
  private decoder: RetainedFieldDecoder | undefined;
  /** Counts a message's leaf values from its roles-only fields (see {@link RetainedTrace.decodeLater}). */
  private leafCounter: FieldLeafCounter | undefined;
  /** Entries whose fields are objects (before it: read from the arena). */
  private materialized = 0;
  private leafCounts: number[] = [];
  /** Block hash of each retained message (index-aligned with `messages`): thinning scans numbers, not the messages. */
  private blockHashes: number[] = [];
  private leafValues = 0;
  /** True when the trace is the first messages of one block that alone is over the bounds (its hash is the threshold). */
  private capped = false;
  private seen = 0;
  /** Blocks whose hash is at or above this are not taken (2^32: every block). */
  private threshold = 2 ** 32;
  private firstUs = Number.POSITIVE_INFINITY;
  private lastUs = Number.NEGATIVE_INFINITY;
  private lastBlock = Number.NaN;
  private lastBlockHash = 0;
  private readonly sessions = new Set<string>();
  /** Session of the last message offered (consecutive messages mostly share one: one set insertion per run). */
  private lastSession: string | undefined;
  /** Key strings per session and direction slot (see {@link RetainedTrace.keysOf}). */
  private readonly keys = new Map<string, [DirectionKeys | undefined, DirectionKeys | undefined]>();
  /** Messages of the current block offered by this pass, not yet added to the shared counts. */
  private blockMessages = 0;
  /** Leaf values of the current block retained by this pass, not yet added to the shared counts. */
  private blockLeaves = 0;
  /** Blocks hashing above this are not in the run's sample (from the shared counts; 2^32: no bound known). */
  private sharedBound = 2 ** 32;

  /**
   * @param maxMessages most messages retained
   * @param maxLeafValues most leaf values retained
   * @param blockUs length of a sampled time block, µs
   * @param keepEntityPositions keep each entity's position role (interest management needs them; otherwise only their presence is kept)
   * @param sharedCounts per-block counts shared with the other passes of the run whose states merge with this one (disjoint
   *   sessions: see `createSharedBlockCounts`); this pass adds its own and keeps no block above the bound they give
   */
  constructor(
    readonly maxMessages: number,
    readonly maxLeafValues: number,
    readonly blockUs = TRACE_BLOCK_US,
    readonly keepEntityPositions = true,
    private readonly sharedCounts?: Int32Array,
  ) {}

  /** Retained messages in capture order (their field trees are built from the arena on first read after feeding). */
  get messages(): RetainedMessage[] {
    this.materialize();
    return this.entries;
  }

  /**
   * Offers a message; keeps it when its block is in the sample: its fields and
   * the roles the trials read written flat into the arena (byte arrays copied;
   * see {@link FieldArena}). Neither a copy nor the decoded tree
   * itself: kept trees, most dropped again as the sample thins, would be
   * objects the collector moves and marks (the decoded ones, kept alive, are
   * moved out of the young generation one by one — measured dearer than a copy).
   */
  offer(message: GameMessage, packet?: PacketObservation): void {
    this.seen += 1;
    const sessionId = message.sessionId;
    if (sessionId !== this.lastSession) {
      this.sessions.add(sessionId);
      this.lastSession = sessionId;
    }
    const tUs = message.tUs;
    if (tUs < this.firstUs) this.firstUs = tUs;
    if (tUs > this.lastUs) this.lastUs = tUs;
    const block = Math.floor(tUs / this.blockUs);
    if (block !== this.lastBlock) {
      if (this.sharedCounts !== undefined) this.shareBlock();
      this.lastBlock = block;
      this.lastBlockHash = blockHash(block);
    }
    this.blockMessages += 1;
    if (this.lastBlockHash >= this.threshold || this.lastBlockHash > this.sharedBound) return;
    let leaves: number;
    const payload = packet?.payload;
    if (this.leafCounter !== undefined && payload !== undefined && packet!.packetIndex === message.packetIndex) {
      // Fields decoded once the sample is final (from this copy of the datagram): none written now.
      leaves = this.leafCounter.count(message.type, message.fields);
      this.pending.push(payload, message.packetIndex, message.indexInPacket, packet!.wireLength);
    } else {
      leaves = this.arena.write(message.fields);
      // The roles the trials read, after the fields (the copy is short-lived: only its flat form is kept).
      this.arena.write(copyRoles(message.roles, this.keepEntityPositions) as unknown as FieldRecord);
      this.pending.pushArena();
    }
    this.ranges.push(this.arena.end());
    this.blockLeaves += leaves;
    const keys = this.keysOf(sessionId, message.direction);
    let streamKey = keys.streamKeys.get(message.type);
    if (streamKey === undefined) {
      streamKey = `${keys.directionKey}\u0000${message.type}`;
      keys.streamKeys.set(message.type, streamKey);
    }
    this.entries.push({
      sessionId,
      direction: message.direction,
      tUs,
      packetIndex: message.packetIndex,
      type: message.type,
      byteLength: message.byteLength,
      fields: PENDING_FIELDS,
      roles: PENDING_ROLES,
      directionKey: keys.directionKey,
      streamKey,
      block,
    });
    this.leafCounts.push(leaves);
    this.blockHashes.push(this.lastBlockHash);
    this.leafValues += leaves;
    if (this.entries.length > this.maxMessages || this.leafValues > this.maxLeafValues) this.shrink();
  }

  /**
   * Whether a message at capture time `tUs` offered now could be kept (its
   * block's hash is under the current bounds). The bounds only fall, so a
   * false stays false for every later offer: a decoder may then skip the
   * message's fields (see `CompileProtocolOptions.fields` in core).
   */
  wantsFields(tUs: number): boolean {
    const block = Math.floor(tUs / this.blockUs);
    if (block !== this.wantedBlock) {
      this.wantedBlock = block;
      this.wantedBlockHash = blockHash(block);
    }
    const hash = this.wantedBlockHash;
    return hash < this.threshold && hash <= this.sharedBound;
  }

  private wantedBlock = Number.NaN;
  private wantedBlockHash = 0;

  /**
   * Lets the trace keep, of a message offered with its datagram
   * (`offer(message, packet)`), a copy of the datagram's payload instead of
   * its fields: the fields are decoded by `decoder` once the sample is final
   * (most messages taken while it fills are dropped again), so the pass may
   * decode such datagrams roles only; `leafCounter` counts the leaf values of
   * the complete fields from the fields offered (the sample's bound). A
   * message offered without its datagram is kept as before.
   */
  decodeLater(decoder: RetainedFieldDecoder, leafCounter: FieldLeafCounter): void {
    this.decoder = decoder;
    this.leafCounter = leafCounter;
  }

  /** Builds the field trees of the entries still in the arena or in datagram copies and frees both. */
  private materialize(): void {
    if (this.materialized === this.entries.length) return;
    let previous: ArenaRange = { tagEnd: 0, valueEnd: 0, referenceEnd: 0 };
    const pending = this.pending;
    let decoded: readonly RedecodedMessage[] = [];
    for (let index = 0; index < this.ranges.length; index++) {
      const range = this.ranges[index]!;
      const entry = this.entries[this.materialized + index]!;
      if (pending.hasPayload(index)) {
        if (index === 0 || !pending.sameDatagram(index, index - 1)) {
          const context = { sessionId: entry.sessionId, direction: entry.direction, tUs: entry.tUs, packetIndex: entry.packetIndex, packetWireLength: pending.wireLength(index) };
          decoded = this.decoder!.decodeFields(pending.payload(index), context);
        }
        const message = decoded[pending.indexInPacket(index)];
        if (message === undefined || message.type !== entry.type) {
          throw new Error(`bandwidth trace: datagram ${entry.packetIndex} decoded again does not hold message ${pending.indexInPacket(index)} of type ${entry.type}`);
        }
        // The decoded tree itself (fresh, byte fields copied): built by the generated decoder's record literals, no copy.
        entry.fields = message.fields;
        entry.roles = copyRoles(message.roles, this.keepEntityPositions);
      } else {
        const [fields, roles] = this.arena.readPair(previous, range);
        entry.fields = fields;
        entry.roles = roles as RetainedRoles;
      }
      previous = range;
    }
    this.arena.clear();
    pending.clear();
    this.ranges = [];
    this.materialized = this.entries.length;
  }

  /** The direction key and stream keys of a session direction, built once (kept messages share the strings). */
  private keysOf(sessionId: string, direction: Direction): DirectionKeys {
    let pair = this.keys.get(sessionId);
    if (pair === undefined) {
      pair = [undefined, undefined];
      this.keys.set(sessionId, pair);
    }
    const slot = direction === "clientToServer" ? 0 : 1;
    let keys = pair[slot];
    if (keys === undefined) {
      keys = { directionKey: `${sessionId}\u0000${direction}`, streamKeys: new Map() };
      pair[slot] = keys;
    }
    return keys;
  }

  /**
   * Adds the current block's counts to the shared table and drops the
   * retained blocks the run's sample cannot hold (hash above the bound the
   * table gives: the run's threshold is at most that hash, whatever the other
   * passes still add). The threshold of this pass is not changed: its own
   * sample is as before, less blocks the merge would drop.
   */
  private shareBlock(): void {
    if (!Number.isNaN(this.lastBlock)) addSharedBlockCounts(this.sharedCounts!, this.lastBlock, this.blockMessages, this.blockLeaves);
    this.blockMessages = 0;
    this.blockLeaves = 0;
    const bound = sharedSampleBound(this.sharedCounts!, blockHash, this.maxMessages, this.maxLeafValues);
    if (bound < this.sharedBound) {
      this.sharedBound = bound;
      // hashes are integers: below bound + 1 is at most the bound
      if (bound < this.threshold) this.keepBelow(bound + 1);
    }
  }

  /** Drops the largest-hash blocks until the retained messages fit; one block left over the bounds keeps its first messages. */
  private shrink(): void {
    while (this.entries.length > this.maxMessages || this.leafValues > this.maxLeafValues) {
      let largest = -1;
      let smallest = 2 ** 32;
      const hashes = this.blockHashes;
      for (let index = 0; index < hashes.length; index++) {
        const hash = hashes[index]!;
        if (hash > largest) largest = hash;
        if (hash < smallest) smallest = hash;
      }
      if (largest === smallest) {
        // One block (hash) alone over the bounds: its first messages that fit, nothing more of it.
        while (this.entries.length > this.maxMessages || this.leafValues > this.maxLeafValues) {
          this.entries.pop();
          this.blockHashes.pop();
          this.leafValues -= this.leafCounts.pop()!;
          if (this.entries.length < this.materialized) this.materialized = this.entries.length;
          else {
            this.ranges.pop();
            this.pending.pop();
          }
        }
        this.arena.truncate(this.ranges[this.ranges.length - 1] ?? { tagEnd: 0, valueEnd: 0, referenceEnd: 0 });
        this.threshold = largest;
        this.capped = true;
        return;
      }
      this.threshold = largest;
      this.capped = false;
      this.keepBelow(largest);
    }
  }

  /** Keeps the retained messages whose block hash is below `threshold`. */
  private keepBelow(threshold: number): void {
    const hashes = this.blockHashes;
    const firstPending = this.materialized;
    if (this.ranges.length > 0) {
      this.arena.compact(this.ranges, (index) => hashes[firstPending + index]! < threshold);
      this.pending.compact((index) => hashes[firstPending + index]! < threshold);
    }
    let kept = 0;
    let materialized = 0;
    let leafValues = 0;
    for (let index = 0; index < this.entries.length; index++) {
      const hash = hashes[index]!;
      if (hash >= threshold) continue;
      if (index < firstPending) materialized += 1;
      this.entries[kept] = this.entries[index]!;
      hashes[kept] = hash;
      this.leafCounts[kept] = this.leafCounts[index]!;
      leafValues += this.leafCounts[index]!;
      kept += 1;
    }
    this.entries.length = kept;
    this.leafCounts.length = kept;
    hashes.length = kept;
    this.leafValues = leafValues;
    this.materialized = materialized;
  }

  /** Leaf values of the retained messages' fields (what the leaf bound limits). */
  get retainedLeafValues(): number {
    return this.leafValues;
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
    return this.capped || this.sampled;
  }

  /** True when the trace is a sample of whole blocks (not the first messages of one block, not everything). */
  get sampled(): boolean {
    return !this.capped && this.threshold < 2 ** 32;
  }

  /** The epoch block of the first message offered. */
  private get originBlock(): number {
    return Math.floor(this.firstUs / this.blockUs);
  }

  /** Distinct blocks of the retained messages, ascending, numbered from the first offered message's block (0). */
  get sampledBlocks(): number[] {
    const blocks = new Set<number>();
    // Messages come in runs of one block (capture order): one set insertion per run, not per message.
    let previous = Number.NaN;
    const messages = this.messages;
    for (let index = 0; index < messages.length; index++) {
      const block = messages[index]!.block!;
      if (block === previous) continue;
      blocks.add(block);
      previous = block;
    }
    const origin = this.originBlock;
    return [...blocks].sort((a, b) => a - b).map((block) => block - origin);
  }

  /** Blocks the offered messages span (the population the block sample was drawn from). */
  get offeredBlocks(): number {
    return this.seen === 0 ? 0 : Math.floor(this.lastUs / this.blockUs) - this.originBlock + 1;
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
    const origin = this.originBlock;
    let total = 0;
    let previous: number | undefined;
    for (const block of this.sampledBlocks) {
      const start = (origin + block) * this.blockUs;
      const part = Math.max(0, Math.min(start + this.blockUs, this.lastUs) - Math.max(start, this.firstUs));
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
    const origin = this.originBlock;
    let flagged = 0;
    let current: number | undefined;
    let warmupEndUs = Number.NEGATIVE_INFINITY;
    for (const message of this.messages) {
      const block = message.block! - origin;
      if (block !== current) {
        warmupEndUs = startsAfterGap(current, block) ? (origin + block) * this.blockUs + TRACE_WARMUP_US : Number.NEGATIVE_INFINITY;
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

  /**
   * The trace as plain data: `"compact"`, fields and roles JSON-safe (see
   * {@link encodeFieldValue}) and the message list packed; `"transfer"`, the
   * message tuples with the retained fields and roles themselves (shared, not
   * copied: saving ends feeding) for a structured clone.
   */
  saveState(form: "compact" | "transfer" = "compact"): TraceState {
    const sessions = new Map<string, number>();
    const types = new Map<string, number>();
    const reference = (table: Map<string, number>, name: string): number => {
      let index = table.get(name);
      if (index === undefined) {
        index = table.size;
        table.set(name, index);
      }
      return index;
    };
    const transfer = form === "transfer";
    const messages = this.messages.map(
      (message): SavedMessage => [
        reference(sessions, message.sessionId),
        message.direction === "clientToServer" ? 0 : 1,
        message.tUs,
        message.packetIndex,
        reference(types, message.type),
        message.byteLength,
        transfer ? message.fields : encodeFieldValue(message.fields),
        transfer ? message.roles : encodeRoles(message.roles),
      ],
    );
    return {
      offered: this.seen,
      firstUs: this.seen === 0 ? null : this.firstUs,
      lastUs: this.seen === 0 ? null : this.lastUs,
      threshold: this.threshold,
      capped: this.capped,
      offeredSessions: [...this.sessions],
      sessions: [...sessions.keys()],
      types: [...types.keys()],
      messages: transfer ? messages : deflateRawSync(JSON.stringify(messages), { level: 6 }).toString("base64"),
    };
  }

  /**
   * Decodes and checks a saved trace (bounds of this trace, references, field
   * values); throws `E_BAD_PARTIAL` with the path of the first problem, before
   * anything is merged.
   */
  decodeState(state: TraceState, path: string): DecodedTrace {
    if ((state.offered > 0) !== (state.firstUs !== null && state.lastUs !== null) || (state.firstUs !== null && state.lastUs !== null && state.firstUs > state.lastUs)) {
      throw badPartial(`${path}.firstUs`, "first/last times do not match the messages offered");
    }
    // compact form: packed, tagged values; transfer form: the tuples with the decoded values themselves
    const packed = typeof state.messages === "string";
    const saved = typeof state.messages === "string" ? unpackMessages(state.messages, `${path}.messages`) : state.messages;
    const decodeValue = packed ? decodeFieldValue : checkPlainFieldValue;
    if (saved.length > state.offered) throw badPartial(`${path}.offered`, `${state.offered} messages offered but ${saved.length} retained`);
    if (saved.length > this.maxMessages) throw badPartial(`${path}.messages`, `${saved.length} messages, over the bound of ${this.maxMessages}`);
    for (const [index, message] of saved.entries()) {
      if (!Value.Check(retainedMessageSchema, message)) throw badPartial(`${path}.messages[${index}]`, "not a retained message [session, direction, tUs, packetIndex, type, byteLength, fields, roles]");
    }
    let leafValues = 0;
    const leafCounts: number[] = [];
    let previousIndex = -1;
    const leafCount = { count: 0 };
    const messages = (saved as SavedMessage[]).map((saved, index): RetainedMessage => {
      const at = `${path}.messages[${index}]`;
      const [sessionRef, directionCode, tUs, packetIndex, typeRef, byteLength, savedFields, savedRoles] = saved;
      const sessionId = state.sessions[sessionRef];
      const type = state.types[typeRef];
      if (sessionId === undefined) throw badPartial(`${at}[0]`, `no session ${sessionRef}`);
      if (type === undefined) throw badPartial(`${at}[4]`, `no type ${typeRef}`);
      if (packetIndex < previousIndex) throw badPartial(`${at}[3]`, "messages out of capture order");
      if (tUs < state.firstUs! || tUs > state.lastUs!) throw badPartial(`${at}[2]`, "time outside the trace's first/last times");
      previousIndex = packetIndex;
      const fields = decodeValue(savedFields, `${at}[6]`, leafCount);
      if (fields === null || typeof fields !== "object" || Array.isArray(fields) || fields instanceof Uint8Array) throw badPartial(`${at}[6]`, "fields must be a record");
      const leaves = leafCount.count;
      leafCounts.push(leaves);
      leafValues += leaves;
      const direction = directionCode === 0 ? "clientToServer" : "serverToClient";
      const directionKey = `${sessionId}\u0000${direction}`;
      return {
        sessionId,
        direction,
        tUs,
        packetIndex,
        type,
        byteLength,
        fields: fields as FieldRecord,
        roles: decodeRoles(decodeValue(savedRoles, `${at}[7]`), `${at}[7]`),
        directionKey,
        streamKey: `${directionKey}\u0000${type}`,
        block: Math.floor(tUs / this.blockUs),
      };
    });
    if (leafValues > this.maxLeafValues) throw badPartial(`${path}.messages`, `${leafValues} leaf values, over the bound of ${this.maxLeafValues}`);
    const blocks = new Set(messages.map((message) => blockHash(message.block!)));
    if (state.capped ? blocks.size > 1 || (blocks.size === 1 && !blocks.has(state.threshold)) : [...blocks].some((hash) => hash >= state.threshold)) {
      throw badPartial(`${path}.threshold`, "retained blocks do not match the threshold");
    }
    return { state, messages, leafCounts };
  }

  /**
   * Folds a decoded saved trace in (its packet indices moved by
   * `packetIndexOffset`): the sample one pass over both passes' messages keeps.
   * Each pass kept every block below its own threshold whole (a pass's share
   * fits wherever the whole does), so the union holds every block of the merged
   * sample; the merged threshold is where the union's blocks, by ascending hash,
   * stop fitting (at the latest the lower of the two thresholds: there one pass
   * alone was over the bounds).
   */
  mergeFrom(decoded: DecodedTrace, packetIndexOffset: number): void {
    const { state } = decoded;
    this.seen += state.offered;
    if (state.firstUs !== null && state.firstUs < this.firstUs) this.firstUs = state.firstUs;
    if (state.lastUs !== null && state.lastUs > this.lastUs) this.lastUs = state.lastUs;
    for (const session of state.offeredSessions) this.sessions.add(session);
    this.lastBlock = Number.NaN;
    const incoming = decoded.messages.map((message) => ({ ...message, packetIndex: message.packetIndex + packetIndexOffset }));
    const all = [...this.messages.map((message, index) => ({ message, leaves: this.leafCounts[index]! })), ...incoming.map((message, index) => ({ message, leaves: decoded.leafCounts[index]! }))].sort(
      (a, b) => a.message.packetIndex - b.message.packetIndex,
    );
    const ceiling = Math.min(this.threshold, state.threshold);
    const groups = new Map<number, { messages: number; leaves: number }>();
    for (const { message, leaves } of all) {
      const hash = blockHash(message.block!);
      if (hash >= ceiling) continue;
      const group = groups.get(hash) ?? { messages: 0, leaves: 0 };
      group.messages += 1;
      group.leaves += leaves;
      groups.set(hash, group);
    }
    let threshold = ceiling;
    let messages = 0;
    let leafValues = 0;
    for (const hash of [...groups.keys()].sort((a, b) => a - b)) {
      const group = groups.get(hash)!;
      if (messages + group.messages > this.maxMessages || leafValues + group.leaves > this.maxLeafValues) {
        threshold = hash;
        break;
      }
      messages += group.messages;
      leafValues += group.leaves;
    }
    let kept: typeof all;
    if (messages > 0 || threshold === 2 ** 32) {
      kept = all.filter(({ message }) => blockHash(message.block!) < threshold);
      this.capped = false;
    } else {
      // No whole block fits: the first messages of the smallest-hash block that fit (each pass kept at least its share of them).
      kept = [];
      let keptLeaves = 0;
      for (const entry of all) {
        if (blockHash(entry.message.block!) !== threshold) continue;
        if (kept.length + 1 > this.maxMessages || keptLeaves + entry.leaves > this.maxLeafValues) break;
        kept.push(entry);
        keptLeaves += entry.leaves;
      }
      this.capped = true;
    }
    this.threshold = threshold;
    this.entries = kept.map(({ message }) => message);
    this.materialized = this.entries.length;
    this.leafCounts = kept.map(({ leaves }) => leaves);
    this.blockHashes = this.entries.map((message) => blockHash(message.block!));
    this.leafValues = this.leafCounts.reduce((total, leaves) => total + leaves, 0);
  }
}

/** One retained message as saved (see `retainedMessageSchema`). */
type SavedMessage = [number, 0 | 1, number, number, number, number, unknown, unknown];

/** Largest inflated message list accepted (V8's longest string): a hostile deflate stream cannot allocate more. */
const MAX_INFLATED_BYTES = 0x1fff_ffe8;

/** Inflates and parses the saved message list; `E_BAD_PARTIAL` on anything else. */
function unpackMessages(packed: string, path: string): unknown[] {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(packed) || packed.length % 4 !== 0) throw badPartial(path, "not base64");
  let parsed: unknown;
  try {
    parsed = JSON.parse(inflateRawSync(Buffer.from(packed, "base64"), { maxOutputLength: MAX_INFLATED_BYTES }).toString("utf8"));
  } catch (error) {
    throw badPartial(path, `not a raw-deflated JSON message list (${(error as Error).message.slice(0, 80)})`);
  }
  if (!Array.isArray(parsed)) throw badPartial(path, "not a list of messages");
  return parsed;
}

/** A saved trace, decoded and checked (see {@link RetainedTrace.decodeState}). */
export interface DecodedTrace {
  state: TraceState;
  messages: RetainedMessage[];
  leafCounts: number[];
}

/** Sampling hash of an epoch block. */
function blockHash(block: number): number {
  return packetHash(block, TRACE_SAMPLE_SEED);
}

function encodeRoles(roles: RetainedRoles): EncodedFieldValue {
  return encodeFieldValue(roles as unknown as FieldValue);
}

const ROLE_NUMBERS = ["sequenceBits", "ackBits", "ackBitsWidth", "resendCount", "playerId"] as const;

function isPoint(value: unknown): value is { x: number; y: number; z: number } {
  if (value === null || typeof value !== "object") return false;
  const point = value as Record<string, unknown>;
  return typeof point.x === "number" && typeof point.y === "number" && typeof point.z === "number";
}

/** Checks decoded saved roles (the shape {@link copyRoles} makes). */
function decodeRoles(roles: FieldValue, path: string): RetainedRoles {
  if (roles === null || typeof roles !== "object" || Array.isArray(roles) || roles instanceof Uint8Array) throw badPartial(path, "roles must be a record");
  const record = roles as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    const ok =
      key === "sequence" || key === "ack"
        ? typeof value === "number" || typeof value === "bigint"
        : key === "channel"
          ? typeof value === "number" || typeof value === "string"
          : key === "position"
            ? isPoint(value)
            : key === "entities"
              ? Array.isArray(value) && value.every((entity) => entity !== null && typeof entity === "object" && !Array.isArray(entity) && ((entity as Record<string, unknown>).position === undefined || isPoint((entity as Record<string, unknown>).position)))
              : (ROLE_NUMBERS as readonly string[]).includes(key) && typeof value === "number";
    if (!ok) throw badPartial(`${path}.${key}`, "not a role the bandwidth trace keeps, or of the wrong type");
  }
  return record as RetainedRoles;
}

/**
 * Whether a retained block starts over after a gap (the block before it was not
 * retained; the capture's first block is a real start): its first
 * {@link TRACE_WARMUP_US} only warm the trials up.
 */
export function startsAfterGap(previousBlock: number | undefined, block: number): boolean {
  return previousBlock === undefined ? block > 0 : block > previousBlock + 1;
}
