import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Transform, type Readable } from "node:stream";
import { ErrorCode, isMergeableAnalyzer, mergeOtherTraffic, reportGeneratedAt, TickscopeError, type DecodeAnomaly, type MergeableAnalyzer, type GameMessage, type LogEvent, type MessageAnalyzer, type OtherTraffic, type PacketObservation, type ReportInput, type Session } from "@tickscope/core";
import { runCapturePipeline, TimeOrderedLog, type ByteSource } from "@tickscope/capture";
import type { DecodedFields, FieldsWanted } from "@tickscope/core/protocol";
import { createSharedBlockCounts } from "@tickscope/bandwidth";
import { adapterFor } from "./analyses/registry.js";
import type { AnalysisAdapter, AnalysisContext } from "./analyses/analysis-adapter.js";
import type { AnalysisName, AnalysisSection } from "./analysis-section.js";
import { planAnalysisShards, planSessionShards, type AnalysisShardPlan } from "./analysis-sharding.js";
import { planAnalysisSplit, sessionGoesToMain, type AnalysisSplit } from "./analysis-split.js";
import { analyzeWorkerLaunch, startAnalysisWorker, type AnalysisPassOutput, type AnalysisWorkerHandle } from "./analyze-worker-launch.js";
import type { AnalyzeResult, CaptureSummaryRecord } from "./analyze-result.js";
import { describeInput, loadProtocol, loadProtocolObject, type LoadedProtocol, type ProtocolDecoding } from "./load-inputs.js";
import type { SavedAnalysisState } from "./partial-report-schema.js";
import { loadServerLog } from "./server-log-input.js";
import { mergeSessionLists } from "./session-list-merge.js";
import { TOOL_VERSION } from "./version.js";

/** One capture of an analyze run, optionally labelled with a region. */
export interface AnalyzeInput {
  /** Path, or `-` for stdin. */
  path: string;
  /** Region label of every session in this capture (`--region name=path`). */
  region?: string;
}

function countingSource(path: string, onBytes: (bytes: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  file.on("error", (error) => counter.destroy(error));
  return file.pipe(counter);
}

/**
 * Labels sessions with their region and forwards everything to the analyzers.
 * Sessions of a region-labelled capture get the id `<region>/<id>`, so the same
 * 5-tuple in two regions' captures stays two sessions.
 */
class RegionLabeller implements MessageAnalyzer<void> {
  readonly name = "region-labeller";
  private currentRegion: string | undefined;
  private readonly labelledIds = new Map<string, string>();

  /** Region of the capture being read (undefined: no label). */
  set region(region: string | undefined) {
    this.currentRegion = region;
    this.labelledIds.clear();
    this.lastId = "";
  }

  private lastId = "";
  private lastLabelled = "";
  private stopError: unknown;
  private stopped = false;

  /** Makes the pass fail with `error` at its next packet (another thread of the run failed). */
  stopWith(error: unknown): void {
    this.stopError = error;
    this.stopped = true;
  }

  private label(sessionId: string): string {
    if (this.currentRegion === undefined) return sessionId;
    // Messages of one datagram (and most consecutive packets) share a session: skip the map then.
    if (sessionId === this.lastId) return this.lastLabelled;
    let labelled = this.labelledIds.get(sessionId);
    if (labelled === undefined) {
      labelled = `${this.currentRegion}/${sessionId}`;
      this.labelledIds.set(sessionId, labelled);
    }
    this.lastId = sessionId;
    this.lastLabelled = labelled;
    return labelled;
  }

  /** The analyzer split by sessions with another thread (its index in `analyzers`; −1: none), and its sessions in this pass. */
  private readonly splitIndex: number;
  private readonly splitSessions = new Set<string>();
  private splitLastId = "";
  private splitLastSelected = false;

  constructor(
    private readonly analyzers: readonly MessageAnalyzer<unknown>[],
    private readonly regionOfSession: Map<string, string>,
    private readonly sessions: Session[],
    private readonly serverRegions: Readonly<Record<string, string>>,
    private readonly shard?: SessionShard,
    private readonly split?: { index: number; mainShare: number; shard: 0 | 1 },
  ) {
    this.splitIndex = split?.index ?? -1;
  }

  /** Whether the split analyzer analyzes session `sessionId` in this pass (messages of one datagram share a session: one lookup). */
  private splitSelects(sessionId: string): boolean {
    if (sessionId !== this.splitLastId) {
      this.splitLastId = sessionId;
      this.splitLastSelected = this.splitSessions.has(sessionId);
    }
    return this.splitLastSelected;
  }

  /** Sessions seen so far (every thread sees them all, in the same order). */
  private sessionOrdinal = 0;
  private sessionSelected = true;

  /**
   * The pipeline's session filter for a session-sharded pass: the sessions
   * are dealt round-robin in the order they appear (the same in every thread),
   * so shard `index` of `count` analyzes sessions `index`, `index + count`, ...
   * Undefined without a shard: every session.
   */
  sessionFilter(): ((session: Session) => boolean) | undefined {
    const shard = this.shard;
    if (shard === undefined) return undefined;
    return () => {
      this.sessionSelected = this.sessionOrdinal % shard.count === shard.index;
      this.sessionOrdinal += 1;
      return this.sessionSelected;
    };
  }

  onSession(session: Session): void {
    if (this.currentRegion !== undefined) {
      session.id = this.label(session.id);
      session.region = this.currentRegion;
      this.regionOfSession.set(session.id, this.currentRegion);
    } else if (Object.hasOwn(this.serverRegions, session.server.address)) {
      session.region = this.serverRegions[session.server.address];
      this.regionOfSession.set(session.id, session.region!);
    }
    this.sessions.push(session);
    // every session is listed; only this shard's reach the analyzers (the pipeline filtered their datagrams)
    if (!this.sessionSelected) return;
    const split = this.split;
    if (split !== undefined) {
      // the split analyzer's sessions: dealt by their order, the same in both threads
      if (sessionGoesToMain(this.splitOrdinal++, split.mainShare) === (split.shard === 0)) this.splitSessions.add(session.id);
      this.splitLastId = "";
    }
    const splitIndex = this.splitIndex;
    for (let index = 0; index < this.analyzers.length; index++) {
      if (index !== splitIndex || this.splitSessions.has(session.id)) this.analyzers[index]!.onSession?.(session);
    }
  }

  /** Sessions seen by the split (all of them: the pass has no session shard then). */
  private splitOrdinal = 0;

  onPacket(packet: PacketObservation): void {
    if (this.stopped) throw this.stopError;
    packet.sessionId = this.label(packet.sessionId);
    const splitIndex = this.splitIndex;
    for (let index = 0; index < this.analyzers.length; index++) {
      if (index !== splitIndex || this.splitSelects(packet.sessionId)) this.analyzers[index]!.onPacket?.(packet);
    }
  }

  onMessage(message: GameMessage): void {
    message.sessionId = this.label(message.sessionId);
    const splitIndex = this.splitIndex;
    for (let index = 0; index < this.analyzers.length; index++) {
      if (index !== splitIndex || this.splitSelects(message.sessionId)) this.analyzers[index]!.onMessage(message);
    }
  }

  onAnomaly(anomaly: DecodeAnomaly): void {
    anomaly.sessionId = this.label(anomaly.sessionId);
    const splitIndex = this.splitIndex;
    for (let index = 0; index < this.analyzers.length; index++) {
      if (index !== splitIndex || this.splitSelects(anomaly.sessionId)) this.analyzers[index]!.onAnomaly?.(anomaly);
    }
  }

  onLogEvent(event: LogEvent): void {
    for (const analyzer of this.analyzers) analyzer.onLogEvent?.(event);
  }

  finish(): void {}
}

/** One thread's share of the sessions in a session-sharded run: shard `index` (0-based) of `count`. */
export interface SessionShard {
  /** This shard, 0-based. */
  index: number;
  /** Shards in all. */
  count: number;
}

/**
 * One pass of `tickscope analyze` as a thread runs it: everything a worker
 * thread needs to read, decode and analyze the captures on its own. Plain data
 * (structured-cloneable): no callbacks, no open streams.
 */
export interface AnalysisPassRequest {
  /** Captures, in time order (files only: stdin cannot be read twice). */
  inputs: readonly AnalyzeInput[];
  /** Protocol definition path. */
  protocolPath?: string;
  /** Protocol definition given as an object. */
  protocolDefinition?: unknown;
  /** Key file path. */
  keysPath?: string;
  /** Server ports. */
  serverPorts?: readonly number[];
  /** Analyses this pass runs, in report order. */
  analyses: readonly AnalysisName[];
  /** Per-analysis settings. */
  settings?: Record<string, unknown>;
  /** Region of each server address. */
  serverRegions?: Readonly<Record<string, string>>;
  /** Client locations by client address. */
  clientLocations?: Readonly<Record<string, { latitude: number; longitude: number }>>;
  /** Server sites by region name. */
  serverSites?: Readonly<Record<string, string | { latitude: number; longitude: number }>>;
  /** Server-log events, merged in time order. */
  logEvents?: readonly LogEvent[];
  /** A server log file the pass opens and streams itself (see {@link ServerLogSource}). */
  serverLog?: ServerLogSource;
  /**
   * Analyze only this share of the sessions (session-sharded threads): every
   * thread reads the captures and tracks every flow, and decodes and analyzes
   * only its sessions. Only for analyses that can save their state.
   */
  sessionShard?: SessionShard;
  /**
   * This pass runs `split.analysis` for its share of the sessions only (a
   * two-thread analysis cut with a split, see {@link AnalysisSplit}): shard 0,
   * the main thread, takes `mainShare` of them, shard 1 the rest. With
   * `output: "sections"` the pass returns that analysis's saved state
   * (transfer form) as `splitState` instead of its section.
   */
  split?: AnalysisSplit & { shard: 0 | 1 };
  /** What the pass returns: each analysis's section (default), or its saved state (`saveState()`). */
  output?: "sections" | "states";
  /**
   * Whether the states this pass saves may later be merged with other passes'
   * parts of the same sessions (see {@link AnalysisContext.statesJoinSessionParts}).
   * Default: `output: "states"` without a `sessionShard` (a partial file's pass);
   * the threads of a session cut set it only when the run writes a partial.
   */
  statesJoinSessionParts?: boolean;
  /**
   * The saved states only travel to the main thread by structured clone and are
   * merged there (the threads of a session cut), never written: analyzers that
   * have one save their cheaper transfer form (`saveState({ form: "transfer" })`).
   */
  transferStates?: boolean;
  /**
   * Bandwidth's trace counts shared by the threads of a session cut (see
   * {@link AnalysisContext.bandwidthBlockCounts}): shared memory, the same
   * table in every thread of the run.
   */
  bandwidthBlockCounts?: Int32Array;
}

/** Where a streamed server log comes from, so that every thread can open its own stream of it. */
export interface ServerLogSource {
  /** The log file (NDJSON/CSV, `.gz` ok). */
  path: string;
  /** Its field mapping file (default: the simulator's mapping). */
  mapPath?: string;
}

/** Options of {@link runAnalyze}. */
export interface RunAnalyzeOptions extends AnalysisPassRequest {
  /** Analyses to run, in report order. */
  analyses: readonly AnalysisName[];
  /** A streamed server log merged in time order with bounded memory (instead of `logEvents`; see `runCapturePipeline`). */
  logStream?: AsyncIterable<LogEvent> | TimeOrderedLog;
  /**
   * Threads, the main thread included (`--threads`). A number: split the
   * analyses over that many threads (at most one per analysis; 1 is the
   * single-threaded pass), or with `threadCut: "sessions"` the sessions. Undefined: up to `os.availableParallelism()`, as many
   * as make the run shortest by the measured costs (one for a small capture).
   * The run stays on one thread when a capture is stdin (`-`), or when
   * `logStream` is given without the `serverLog` it was opened from. Reports are
   * byte-identical whatever the count.
   */
  threads?: number;
  /**
   * A two-thread analysis cut may also split one analysis by sessions between
   * its threads to even them out ({@link planAnalysisSplit}). Undefined: as
   * planned by the measured costs; `false`: never; a split: that one, whenever
   * the run has two analysis-cut threads with that analysis on either (tests).
   */
  analysisSplit?: AnalysisSplit | false;
  /**
   * Fixed `generatedAt`. Default: the real time, or the instant in
   * `SOURCE_DATE_EPOCH` when that is set (reports are then byte-identical).
   */
  generatedAt?: string;
  /** Effective options to record in the report. */
  recordedOptions?: Record<string, unknown>;
  /**
   * How threads share the work: `"analyses"` (each thread reads and decodes
   * everything and runs a subset of the analyses) or `"sessions"` (each thread
   * reads everything and decodes and analyzes its share of the sessions; the
   * main thread merges their saved states). The session cut is used only when
   * every selected analysis can save its state and there is no server log;
   * otherwise the analyses are split. Default {@link DEFAULT_THREAD_CUT}.
   */
  threadCut?: "analyses" | "sessions";
  /** Called once the threads are started, with a line describing them (see {@link describeThreads}). */
  onThreads?: (description: string) => void;
  /** Called as bytes are read: `(bytesRead, totalBytes)`; total is 0 when unknown (stdin). With threads, bytes read by the slowest thread. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** The analyzers of one pass, created in report order (creation validates each analysis's settings). */
interface PreparedPass {
  loaded: LoadedProtocol | undefined;
  context: AnalysisContext;
  adapters: AnalysisAdapter[];
  analyzers: MessageAnalyzer<unknown>[];
}

/** What reading the captures yields besides the analyzers' state. */
interface PassOutcome {
  captures: CaptureSummaryRecord[];
  decodeAnomalies: Record<string, number>;
  /** Game messages decoded. */
  decodedMessages: number;
  otherTraffic: OtherTraffic | undefined;
  /** Other traffic of each capture (undefined when nothing was gated), in input order. */
  otherTrafficByCapture: (OtherTraffic | undefined)[];
}

/** True when one of the field readers may read the fields of a datagram at capture time `tUs`. */
function anyWants(wanted: readonly ((tUs: number) => boolean)[], tUs: number): boolean {
  for (let index = 0; index < wanted.length; index++) if (wanted[index]!(tUs)) return true;
  return false;
}

async function preparePass(
  request: AnalysisPassRequest,
  savesStates = request.output === "states",
  statesJoinSessionParts = request.statesJoinSessionParts ?? (request.output === "states" && request.sessionShard === undefined),
  finishesOnThisThread = false,
): Promise<PreparedPass> {
  const adapters = request.analyses.map(adapterFor);
  // A pass none of whose analyses reads message fields (e.g. the latency + anticheat thread) decodes roles only;
  // one whose field readers read a sample (bandwidth) decodes fields for the datagrams one of them may keep.
  const readers = adapters.filter((adapter) => adapter.readsFields === true);
  const wanted: ((tUs: number) => boolean)[] = [];
  const fields: DecodedFields | FieldsWanted =
    readers.length === 0 ? "roles" : readers.every((adapter) => adapter.fieldsWanted !== undefined) ? (datagram) => anyWants(wanted, datagram.tUs) : "all";
  // Entity roles decoded straight from the wire are pooled when every analysis of the pass copies what it keeps of them.
  // Likewise one message and roles object for every message when every analysis copies what it keeps of them.
  const decoding: ProtocolDecoding = {
    fields,
    entityRoles: adapters.every((adapter) => adapter.copiesEntityRoles === true) ? "reused" : "fresh",
    messages: adapters.every((adapter) => adapter.copiesMessages === true) ? "reused" : "fresh",
  };
  const loaded =
    request.protocolPath !== undefined
      ? await loadProtocol(request.protocolPath, request.keysPath, { captures: request.inputs.map((input) => input.path), serverPorts: request.serverPorts }, decoding)
      : request.protocolDefinition !== undefined
        ? loadProtocolObject(request.protocolDefinition, decoding)
        : undefined;
  const context: AnalysisContext = {
    definition: loaded?.definition,
    ...(loaded === undefined ? {} : { protocol: loaded.protocol }),
    regionOfSession: new Map(),
    sessions: [],
    clientLocations: new Map(Object.entries(request.clientLocations ?? {})),
    serverSites: { ...(request.serverSites ?? {}) },
    settings: request.settings ?? {},
    ...(request.protocolPath === undefined ? {} : { keyFile: request.keysPath ?? null }),
    ...(savesStates && statesJoinSessionParts ? { statesJoinSessionParts } : {}),
    ...(request.bandwidthBlockCounts === undefined ? {} : { bandwidthBlockCounts: request.bandwidthBlockCounts }),
    ...(request.serverLog !== undefined || (request.logEvents?.length ?? 0) > 0 || (request as RunAnalyzeOptions).logStream !== undefined ? { hasServerLog: true } : {}),
    ...(finishesOnThisThread ? { finishesOnThisThread } : {}),
  };
  const analyzers = adapters.map((adapter) => adapter.create(context));
  adapters.forEach((adapter, index) => {
    if (adapter.readsFields === true && adapter.fieldsWanted !== undefined) wanted.push(adapter.fieldsWanted(analyzers[index]!));
  });
  return { loaded, context, adapters, analyzers };
}

/** Reads every capture once through `labeller` (which feeds the analyzers); `onBytes` gets each chunk's size. */
async function readCaptures(
  request: AnalysisPassRequest,
  loaded: LoadedProtocol | undefined,
  labeller: RegionLabeller,
  logStream: AsyncIterable<LogEvent> | TimeOrderedLog | undefined,
  onBytes: ((bytes: number) => void) | undefined,
): Promise<PassOutcome> {
  const captures: CaptureSummaryRecord[] = [];
  const decodeAnomalies: Record<string, number> = {};
  let decodedMessages = 0;
  let otherTraffic: OtherTraffic | undefined;
  const otherTrafficByCapture: (OtherTraffic | undefined)[] = [];
  const gated = loaded !== undefined || (request.serverPorts?.length ?? 0) > 0;
  const sessionFilter = labeller.sessionFilter();
  // packet indices continue across the captures, as one pass over them all numbers them
  let firstPacketIndex = 0;
  for (const [index, input] of request.inputs.entries()) {
    labeller.region = input.region;
    let source: ByteSource = input.path === "-" ? process.stdin : input.path;
    if (onBytes !== undefined && input.path !== "-" && (await stat(input.path).catch(() => undefined)) !== undefined) {
      source = countingSource(input.path, onBytes);
    }
    const result = await runCapturePipeline({
      sources: [{ source, name: input.path }],
      decoder: loaded?.protocol,
      serverPorts: request.serverPorts,
      analyzers: [labeller],
      logEvents: index === 0 ? request.logEvents : undefined,
      logStream: index === 0 ? logStream : undefined,
      finishAnalyzers: false,
      firstPacketIndex,
      ...(sessionFilter === undefined ? {} : { sessionFilter }),
    });
    for (const capture of result.captures) {
      captures.push({
        file: capture.file,
        format: capture.format,
        packets: capture.packets,
        bytes: capture.bytes,
        firstUs: capture.firstUs ?? 0,
        lastUs: capture.lastUs ?? 0,
        linkTypes: capture.linkTypes,
        anomalies: capture.anomalies,
      });
      firstPacketIndex += capture.packets;
    }
    for (const [code, count] of Object.entries(result.decodeAnomalies)) decodeAnomalies[code] = (decodeAnomalies[code] ?? 0) + count;
    for (const count of result.messages) decodedMessages += count.count;
    otherTrafficByCapture.push(gated ? result.otherTraffic : undefined);
    if (gated) otherTraffic = otherTraffic === undefined ? result.otherTraffic : mergeOtherTraffic(otherTraffic, result.otherTraffic);
  }
  return { captures, decodeAnomalies, decodedMessages, otherTraffic, otherTrafficByCapture };
}

/** Counts with their codes sorted (the report's order). */
function sortedCounts(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([left], [right]) => left.localeCompare(right)));
}

/** Puts what reading decoded (decode anomalies, messages) into the context the sections read their reasons from. */
function recordDecodeOutcome(context: AnalysisContext, outcome: PassOutcome): void {
  context.decodeAnomalies = sortedCounts(outcome.decodeAnomalies);
  context.decodedMessages = outcome.decodedMessages;
}

/** Lists each session once (a session several captures hold: see {@link mergeSessionLists}), in place. */
function listSessionsOnce(context: AnalysisContext): void {
  const merged = mergeSessionLists(context.sessions);
  if (merged.length !== context.sessions.length) context.sessions.splice(0, context.sessions.length, ...merged);
}

/** The analyses of `adapters` whose analyzers cannot save their state, in report order. */
export function unmergeableAnalyses(adapters: readonly AnalysisAdapter[], analyzers: readonly MessageAnalyzer<unknown>[]): AnalysisName[] {
  return adapters.flatMap((adapter, index) => (isMergeableAnalyzer(analyzers[index]!) ? [] : [adapter.name]));
}

/**
 * An analyzer whose `saveState` also takes the form to save: `"transfer"` is a
 * state only meant for a structured clone to another thread of the same run
 * (merged there, never written), cheaper to make and merge than the compact form.
 */
interface TransferFormSaver {
  saveState(options?: { form?: "compact" | "transfer" }): unknown;
}

/**
 * Saves every analyzer's state (`saveState()`, which ends its feeding), in
 * report order; `E_INVALID_OPTION` listing the analyses that cannot. With
 * `transfer`, the states only go to another thread of this run (see
 * {@link AnalysisPassRequest.transferStates}).
 */
function saveStates(adapters: readonly AnalysisAdapter[], analyzers: readonly MessageAnalyzer<unknown>[], transfer = false): SavedAnalysisState[] {
  const missing = unmergeableAnalyses(adapters, analyzers);
  if (missing.length > 0) {
    throw new TickscopeError(ErrorCode.invalidOption, `cannot save the state of ${missing.join(", ")}: not mergeable in this build`, {
      hint: `leave ${missing.length === 1 ? "it" : "them"} out with --only (mergeable: ${adapters.filter((adapter) => !missing.includes(adapter.name)).map((adapter) => adapter.name).join(", ") || "none"})`,
    });
  }
  return adapters.map((adapter, index) => {
    const analyzer = analyzers[index] as MergeableAnalyzer<unknown, unknown>;
    // analyzers without a transfer form ignore the argument
    const state = transfer ? (analyzer as unknown as TransferFormSaver).saveState({ form: "transfer" }) : analyzer.saveState();
    return { analysis: adapter.name, stateVersion: analyzer.stateVersion, state };
  });
}

/**
 * Creates fresh analyzers through their adapters with `context` (or takes
 * `into`, analyzers of the same adapters that were fed and not yet finished:
 * a session-sharded thread's own) and folds the saved states of each analysis
 * into them in the given order, each with its placement; `E_BAD_PARTIAL` when a state belongs to another analysis or
 * another version. What `merge` and session-sharded threads share.
 */
export function mergeSavedStates(
  adapters: readonly AnalysisAdapter[],
  context: AnalysisContext,
  passes: readonly { states: readonly SavedAnalysisState[]; packetIndexOffset: number; name?: string }[],
  into?: readonly MessageAnalyzer<unknown>[],
): MergeableAnalyzer<unknown, unknown>[] {
  const analyzers = into ?? adapters.map((adapter) => adapter.create(context));
  const missing = unmergeableAnalyses(adapters, analyzers);
  if (missing.length > 0) {
    throw new TickscopeError(ErrorCode.badPartial, `cannot merge the state of ${missing.join(", ")}: not mergeable in this build`, { hint: "merge partials written by this version of tickscope" });
  }
  const mergeable = analyzers as MergeableAnalyzer<unknown, unknown>[];
  for (const pass of passes) {
    const where = pass.name === undefined ? "" : ` in ${pass.name}`;
    if (pass.states.length !== adapters.length) {
      throw new TickscopeError(ErrorCode.badPartial, `${pass.states.length} saved state(s)${where} for ${adapters.length} analyses`, { hint: "the partial does not hold one state per analysis" });
    }
    for (const [index, adapter] of adapters.entries()) {
      const saved = pass.states[index]!;
      const analyzer = mergeable[index]!;
      if (saved.analysis !== adapter.name) {
        throw new TickscopeError(ErrorCode.badPartial, `the state at position ${index + 1}${where} is ${String(saved.analysis)}'s, expected ${adapter.name}'s`, { hint: "the partial's states are not in its analyses' order" });
      }
      if (saved.stateVersion !== analyzer.stateVersion) {
        throw new TickscopeError(ErrorCode.badPartial, `${adapter.name} state version ${saved.stateVersion}${where}; this build merges version ${analyzer.stateVersion}`, {
          hint: "write the partials again with this version of tickscope",
        });
      }
      try {
        analyzer.mergeState(saved.state, { packetIndexOffset: pass.packetIndexOffset });
      } catch (error) {
        if (TickscopeError.isInstance(error) && pass.name !== undefined) {
          throw new TickscopeError(error.code, `${pass.name}: ${adapter.name} state: ${error.message}`, { ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error });
        }
        throw error;
      }
    }
  }
  return mergeable;
}

/** The index of the split analysis among a pass's analyses, for its labeller (undefined: no split). */
function splitOfPass(analyses: readonly AnalysisName[], split: AnalysisPassRequest["split"]): { index: number; mainShare: number; shard: 0 | 1 } | undefined {
  if (split === undefined) return undefined;
  const index = analyses.indexOf(split.analysis);
  if (index < 0) throw new TickscopeError(ErrorCode.invalidOption, `the split analysis ${split.analysis} is not one of the pass's analyses`);
  return { index, mainShare: split.mainShare, shard: split.shard };
}

/** What one thread's pass returns besides its sections or states: what it decoded. */
function passOutput(prepared: PreparedPass, outcome: PassOutcome, output: "sections" | "states", transfer: boolean, split?: AnalysisName): AnalysisPassOutput {
  const splitIndex = output === "sections" && split !== undefined ? prepared.adapters.findIndex((adapter) => adapter.name === split) : -1;
  return {
    sections: output === "sections" ? prepared.adapters.flatMap((adapter, index) => (index === splitIndex ? [] : [adapter.toSection(prepared.analyzers[index]!.finish(), prepared.context)])) : [],
    ...(splitIndex >= 0 ? { splitState: saveStates([prepared.adapters[splitIndex]!], [prepared.analyzers[splitIndex]!], true)[0]! } : {}),
    ...(output === "states" ? { states: saveStates(prepared.adapters, prepared.analyzers, transfer) } : {}),
    decodeAnomalies: outcome.decodeAnomalies,
    decodedMessages: outcome.decodedMessages,
  };
}

/**
 * The pass a worker thread of `analyze --threads` runs: loads the protocol,
 * reads every capture itself (decoding only its sessions with a
 * `sessionShard`) and returns the sections of its analyses in report order
 * (each exactly what a single-threaded run builds), or with `output: "states"`
 * their saved states, and what it decoded. `onBytesRead` gets the running
 * count of bytes read.
 */
export async function runAnalysisPassOutput(request: AnalysisPassRequest, onBytesRead?: (bytesRead: number) => void): Promise<AnalysisPassOutput> {
  const prepared = await preparePass(request);
  const labeller = new RegionLabeller(
    prepared.analyzers,
    prepared.context.regionOfSession,
    prepared.context.sessions,
    request.serverRegions ?? {},
    request.sessionShard,
    splitOfPass(request.analyses, request.split),
  );
  const logStream = request.serverLog === undefined ? undefined : new TimeOrderedLog(await loadServerLog(request.serverLog.path, request.serverLog.mapPath));
  let bytesRead = 0;
  const outcome = await readCaptures(
    request,
    prepared.loaded,
    labeller,
    logStream,
    onBytesRead === undefined
      ? undefined
      : (bytes) => {
          bytesRead += bytes;
          onBytesRead(bytesRead);
        },
  );
  recordDecodeOutcome(prepared.context, outcome);
  listSessionsOnce(prepared.context);
  return passOutput(prepared, outcome, request.output ?? "sections", request.transferStates === true, request.split?.analysis);
}

/** {@link runAnalysisPassOutput}'s sections: the pass of one analysis-sharded thread. */
export async function runAnalysisPass(request: AnalysisPassRequest, onBytesRead?: (bytesRead: number) => void): Promise<AnalysisSection[]> {
  return (await runAnalysisPassOutput({ ...request, output: "sections" }, onBytesRead)).sections;
}

/** How a run is spread over threads. */
type ThreadPlan =
  | { cut: "analyses"; plan: AnalysisShardPlan; singleReason?: string; split?: AnalysisSplit }
  | { cut: "sessions"; count: number };

/**
 * Analyses whose sessions may be split between two threads: their states merge
 * exactly across disjoint sessions. Not bandwidth: its bounded sample is shared
 * across threads only with the session cut's shared table.
 */
function splittableAnalyses(analyses: readonly AnalysisName[], unmergeable: readonly AnalysisName[]): AnalysisName[] {
  return analyses.filter((analysis) => analysis !== "bandwidth" && !unmergeable.includes(analysis));
}

/** Why a run stays on one thread whatever the thread count; undefined when threads may be used. */
function singleThreadReason(options: RunAnalyzeOptions): string | undefined {
  if (options.inputs.some((input) => input.path === "-")) return "a capture is stdin (-), which cannot be read twice";
  if (options.logStream !== undefined && options.serverLog === undefined) return "the server log is a stream without its file";
  if (new Set(options.analyses).size !== options.analyses.length) return "an analysis is listed twice";
  if (analyzeWorkerLaunch() === undefined) return "the worker module is not next to this one (bundled?)";
  return undefined;
}

/**
 * The thread plan of a run. The session cut (every thread decodes and
 * analyzes its share of the sessions; their states merge) needs every
 * analysis to save its state and no server log (log events are not a
 * session's); otherwise, or with `threadCut: "analyses"`, the analyses are
 * split over threads.
 */
function planThreads(options: RunAnalyzeOptions, captureBytes: number, withDefinition: boolean, unmergeable: readonly AnalysisName[], writesStates = false): ThreadPlan {
  const allMergeable = unmergeable.length === 0;
  const single: AnalysisShardPlan = { shards: [{ analyses: [...options.analyses], estimatedSeconds: 0 }], estimatedSeconds: 0 };
  const maxThreads = options.threads ?? availableParallelism();
  if (!(maxThreads >= 2)) return { cut: "analyses", plan: single };
  const reason = singleThreadReason(options);
  if (reason !== undefined) return { cut: "analyses", plan: single, singleReason: reason };
  const withLog = options.serverLog !== undefined || options.logStream !== undefined || (options.logEvents?.length ?? 0) > 0;
  const cut = options.threadCut ?? DEFAULT_THREAD_CUT;
  const regionSettings = (options.settings?.regions ?? {}) as { regionOfSession?: unknown };
  // regions measures only labelled sessions when every label is known at session start
  const regionsLabelled =
    writesStates || withLog || options.inputs.some((input) => input.region !== undefined) || Object.keys(options.serverRegions ?? {}).length > 0 || regionSettings.regionOfSession !== undefined;
  const shardOptions = { maxThreads, captureBytes, exact: options.threads !== undefined, withDefinition, regionsLabelled };
  if (cut === "sessions" && allMergeable && !withLog) {
    const count = planSessionShards(options.analyses, shardOptions);
    if (count >= 2) return { cut: "sessions", count };
  }
  const plan = planAnalysisShards(options.analyses, shardOptions);
  // a split needs disjoint sessions whose states merge: no server log (its events are no session's), sections out
  const splittable = withLog || writesStates ? [] : splittableAnalyses(options.analyses, unmergeable);
  const forced = options.analysisSplit;
  const split =
    plan.shards.length !== 2 || forced === false
      ? undefined
      : forced !== undefined
        ? splittable.includes(forced.analysis) && forced.mainShare > 0 && forced.mainShare < 1 ? forced : undefined
        : planAnalysisSplit(plan, splittable, shardOptions);
  return { cut: "analyses", plan, ...(split === undefined ? {} : { split }) };
}

/** How `analyze --threads` splits the work when not told (`--thread-cut`): see {@link RunAnalyzeOptions.threadCut}. */
export const DEFAULT_THREAD_CUT: "analyses" | "sessions" = "analyses";

/**
 * One line describing how a run used threads (`--verbose`), e.g. `2 threads: latency,loss | bandwidth`
 * (a split analysis names its share: `loss(30% of sessions)`).
 */
export function describeThreads(shards: readonly (readonly string[])[], singleReason?: string): string {
  if (shards.length <= 1) return `1 thread${singleReason === undefined ? "" : ` (${singleReason})`}`;
  return `${shards.length} threads: ${shards.map((analyses) => analyses.join(",")).join(" | ")}`;
}

/** One line describing a session-sharded run (`--verbose`), e.g. `2 threads: sessions split 2 ways (latency,loss,...)`. */
export function describeSessionThreads(count: number, analyses: readonly AnalysisName[]): string {
  return `${count} threads: sessions split ${count} ways (${analyses.join(",")} in each)`;
}

/** `analyses` with `analysis` added, in the report order of `order`. */
function withAnalysis(order: readonly AnalysisName[], analyses: readonly AnalysisName[], analysis: AnalysisName): AnalysisName[] {
  return order.filter((name) => name === analysis || analyses.includes(name));
}

/** The plain-data request of one worker's shard. */
function shardRequest(
  options: RunAnalyzeOptions,
  analyses: readonly AnalysisName[],
  extra: Pick<AnalysisPassRequest, "sessionShard" | "output" | "statesJoinSessionParts" | "transferStates" | "bandwidthBlockCounts" | "split">,
): AnalysisPassRequest {
  return {
    inputs: options.inputs.map((input) => ({ ...input })),
    analyses,
    ...(options.protocolPath === undefined ? {} : { protocolPath: options.protocolPath }),
    ...(options.protocolDefinition === undefined ? {} : { protocolDefinition: options.protocolDefinition }),
    ...(options.keysPath === undefined ? {} : { keysPath: options.keysPath }),
    ...(options.serverPorts === undefined ? {} : { serverPorts: options.serverPorts }),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.serverRegions === undefined ? {} : { serverRegions: options.serverRegions }),
    ...(options.clientLocations === undefined ? {} : { clientLocations: options.clientLocations }),
    ...(options.serverSites === undefined ? {} : { serverSites: options.serverSites }),
    ...(options.logEvents === undefined ? {} : { logEvents: options.logEvents }),
    ...(options.serverLog === undefined ? {} : { serverLog: options.serverLog }),
    ...extra,
  };
}

/** Starts one worker per request; undefined when a request cannot be sent (not plain data). */
function startWorkers(requests: readonly AnalysisPassRequest[], onBytesRead: ((shard: number, bytesRead: number) => void) | undefined): AnalysisWorkerHandle[] | undefined {
  const handles: AnalysisWorkerHandle[] = [];
  try {
    for (const [index, request] of requests.entries()) {
      handles.push(startAnalysisWorker(request, onBytesRead === undefined ? undefined : (bytesRead) => onBytesRead(index + 1, bytesRead)));
    }
    return handles;
  } catch (error) {
    for (const handle of handles) void handle.terminate();
    if ((error as Error)?.name === "DataCloneError") return undefined;
    throw error;
  }
}

/** Everything one run produced, before it becomes a report ({@link runAnalyze}) or a partial ({@link runAnalyzeStates}). */
interface RunOutcome {
  inputs: ReportInput[];
  outcome: PassOutcome;
  context: AnalysisContext;
  loaded: LoadedProtocol | undefined;
  sections?: AnalysisSection[];
  states?: SavedAnalysisState[];
}

/** The run behind {@link runAnalyze} and {@link runAnalyzeStates}: reads the captures (over threads as planned) and builds sections or saved states. */
async function executeRun(options: RunAnalyzeOptions, output: "sections" | "states"): Promise<RunOutcome> {
  const sessionCutAsked = (options.threadCut ?? DEFAULT_THREAD_CUT) === "sessions";
  // shared by the session-cut threads' bandwidth analyzers (unused, and harmless, when the run stays on one thread)
  const bandwidthBlockCounts = sessionCutAsked && options.analyses.includes("bandwidth") ? createSharedBlockCounts() : undefined;
  // sections out of a run not cut by sessions: the main thread finishes its own analyzers
  const prepared = await preparePass(
    { ...options, ...(bandwidthBlockCounts === undefined ? {} : { bandwidthBlockCounts }) },
    output === "states" || sessionCutAsked,
    output === "states",
    output === "sections" && !sessionCutAsked,
  );
  try {
    return await runPreparedPass(options, output, prepared, sessionCutAsked, bandwidthBlockCounts);
  } finally {
    // an analyzer the run did not finish (a failed pass, a failed worker, a shard another thread ran) lets go of its helper threads
    prepared.adapters.forEach((adapter, index) => adapter.dispose?.(prepared.analyzers[index]!));
  }
}

/** {@link executeRun} once its analyzers exist. */
async function runPreparedPass(
  options: RunAnalyzeOptions,
  output: "sections" | "states",
  prepared: PreparedPass,
  sessionCutAsked: boolean,
  bandwidthBlockCounts: Int32Array | undefined,
): Promise<RunOutcome> {
  const { loaded, context, adapters, analyzers } = prepared;
  const inputs: ReportInput[] = [];
  if (options.protocolPath !== undefined) inputs.push(await describeInput("protocol", options.protocolPath));
  let totalBytes = 0;
  for (const input of options.inputs) {
    const described = await describeInput(input.region === undefined ? "capture" : `capture:${input.region}`, input.path);
    inputs.push(described);
    totalBytes += described.bytes ?? 0;
  }
  const threadPlan = planThreads(options, totalBytes, loaded !== undefined, unmergeableAnalyses(adapters, analyzers), output === "states");
  const split = threadPlan.cut === "analyses" ? threadPlan.split : undefined;
  const shardCount = threadPlan.cut === "sessions" ? threadPlan.count : threadPlan.plan.shards.length;
  // A helper thread pays only on a core the analysis threads leave free (measured: firefall on one of two cores
  // 1.07 → 0.97 s; the 67 MB capture on both, +7% CPU for no wall time): otherwise the analyses keep their work.
  if (shardCount >= availableParallelism()) adapters.forEach((adapter, index) => adapter.dispose?.(analyzers[index]!));
  const bytesReadByShard = Array.from({ length: shardCount }, () => 0);
  const reportProgress =
    options.onProgress === undefined
      ? undefined
      : (shard: number, bytesRead: number): void => {
          bytesReadByShard[shard] = bytesRead;
          options.onProgress!(Math.min(...bytesReadByShard), totalBytes);
        };
  const requests =
    threadPlan.cut === "sessions"
      ? Array.from({ length: threadPlan.count - 1 }, (_, index) => shardRequest(options, options.analyses, {
            sessionShard: { index: index + 1, count: threadPlan.count },
            output: "states",
            statesJoinSessionParts: output === "states",
            transferStates: true,
            ...(bandwidthBlockCounts === undefined ? {} : { bandwidthBlockCounts }),
          }),
        )
      : threadPlan.plan.shards.slice(1).map((shard) =>
          split === undefined
            ? shardRequest(options, shard.analyses, { output })
            : shardRequest(options, withAnalysis(options.analyses, shard.analyses, split.analysis), { output, split: { ...split, shard: 1 } }),
        );
  const workers = requests.length > 0 ? startWorkers(requests, reportProgress) : [];
  const sessionCut = threadPlan.cut === "sessions" && workers !== undefined;
  const mainAnalyses = new Set<AnalysisName>(workers === undefined || threadPlan.cut === "sessions" ? options.analyses : threadPlan.plan.shards[0]!.analyses);
  // the main thread runs the split analysis too, on its share of the sessions (only when the worker really started)
  const mainSplit = workers !== undefined && split !== undefined ? split : undefined;
  if (mainSplit !== undefined) mainAnalyses.add(mainSplit.analysis);
  options.onThreads?.(
    workers === undefined
      ? describeThreads([options.analyses], "the options are not plain data a worker can receive")
      : threadPlan.cut === "sessions"
        ? describeSessionThreads(threadPlan.count, options.analyses)
        : describeThreads(
            threadPlan.plan.shards.map((shard, index) =>
              mainSplit === undefined ? shard.analyses : withAnalysis(options.analyses, shard.analyses, mainSplit.analysis).map((analysis) => (analysis === mainSplit.analysis ? `${analysis}(${Math.round(100 * (index === 0 ? mainSplit.mainShare : 1 - mainSplit.mainShare))}% of sessions)` : analysis)),
            ),
            threadPlan.singleReason,
          ),
  );
  const mainIndices = adapters.flatMap((adapter, index) => (mainAnalyses.has(adapter.name) ? [index] : []));
  const labeller = new RegionLabeller(
    mainIndices.map((index) => analyzers[index]!),
    context.regionOfSession,
    context.sessions,
    options.serverRegions ?? {},
    sessionCut && threadPlan.cut === "sessions" ? { index: 0, count: threadPlan.count } : undefined,
    mainSplit === undefined ? undefined : { index: mainIndices.findIndex((index) => adapters[index]!.name === mainSplit.analysis), mainShare: mainSplit.mainShare, shard: 0 },
  );
  // a worker's failure stops the main pass at its next packet: the run fails with the worker's error
  const workerResults = (workers ?? []).map((worker) =>
    worker.result.catch((error: unknown) => {
      labeller.stopWith(error);
      throw error;
    }),
  );
  for (const result of workerResults) result.catch(() => undefined);
  let bytesRead = 0;
  let outcome: PassOutcome;
  try {
    outcome = await readCaptures(
      options,
      loaded,
      labeller,
      options.logStream,
      reportProgress === undefined
        ? undefined
        : (bytes) => {
            bytesRead += bytes;
            reportProgress(0, bytesRead);
          },
    );
  } catch (error) {
    await Promise.all((workers ?? []).map((worker) => worker.terminate()));
    throw error;
  }
  const shardAnalyses = threadPlan.cut === "analyses" ? threadPlan.plan.shards : [];
  // the main thread's own part, while the workers finish theirs
  let mainStates: SavedAnalysisState[] | undefined;
  const sectionOf = new Map<AnalysisName, AnalysisSection>();
  if (!sessionCut) {
    recordDecodeOutcome(context, outcome);
    listSessionsOnce(context);
  }
  try {
    if (output === "states" && !sessionCut) {
      mainStates = saveStates(
        mainIndices.map((index) => adapters[index]!),
        mainIndices.map((index) => analyzers[index]!),
      );
    } else if (!sessionCut) {
      // (the split analysis waits for the worker's share)
      const finishing = mainIndices.filter((index) => adapters[index]!.name !== mainSplit?.analysis);
      for (const index of finishing) adapters[index]!.beginFinish?.(analyzers[index]!);
      // an analysis with work on a helper thread finishes last: the others' finishing overlaps it (sections stay in report order)
      finishing.sort((a, b) => Number(adapters[a]!.beginFinish !== undefined) - Number(adapters[b]!.beginFinish !== undefined) || a - b);
      for (const index of finishing) sectionOf.set(adapters[index]!.name, adapters[index]!.toSection(analyzers[index]!.finish(), context));
    }
  } catch (error) {
    await Promise.all((workers ?? []).map((worker) => worker.terminate()));
    throw error;
  }
  let workerOutputs: AnalysisPassOutput[];
  try {
    workerOutputs = await Promise.all(workerResults);
  } finally {
    await Promise.all((workers ?? []).map((worker) => worker.terminate()));
  }
  if (sessionCut) {
    // every session was decoded by exactly one thread: their counts add up
    for (const worker of workerOutputs) {
      for (const [code, count] of Object.entries(worker.decodeAnomalies)) outcome.decodeAnomalies[code] = (outcome.decodeAnomalies[code] ?? 0) + count;
      outcome.decodedMessages += worker.decodedMessages;
    }
    recordDecodeOutcome(context, outcome);
    listSessionsOnce(context);
    // the other threads' states merge into the main thread's analyzers (disjoint sessions; packetIndexOffset 0: the same captures)
    const passes = workerOutputs.map((worker) => ({ states: worker.states ?? [], packetIndexOffset: 0 }));
    const merged = mergeSavedStates(adapters, context, passes, analyzers);
    if (output === "states") return { inputs, outcome, context, loaded, states: saveStates(adapters, merged) };
    return { inputs, outcome, context, loaded, sections: adapters.map((adapter, index) => adapter.toSection(merged[index]!.finish(), context)) };
  }
  if (output === "states") {
    const stateOf = new Map<AnalysisName, SavedAnalysisState>();
    for (const state of mainStates!) stateOf.set(state.analysis, state);
    for (const [index, worker] of workerOutputs.entries()) for (const [position, analysis] of shardAnalyses[index + 1]!.analyses.entries()) stateOf.set(analysis, worker.states![position]!);
    return { inputs, outcome, context, loaded, states: adapters.map((adapter) => stateOf.get(adapter.name)!) };
  }
  for (const [index, worker] of workerOutputs.entries()) {
    // (a worker's sections leave out the split analysis, whose state it returned instead)
    const sectioned = shardAnalyses[index + 1]!.analyses.filter((analysis) => analysis !== mainSplit?.analysis);
    for (const [position, analysis] of sectioned.entries()) sectionOf.set(analysis, worker.sections[position]!);
  }
  if (mainSplit !== undefined) {
    // the worker's sessions of the split analysis merge into the main thread's (disjoint sessions, the same captures)
    const splitIndex = adapters.findIndex((adapter) => adapter.name === mainSplit.analysis);
    const splitState = workerOutputs[0]?.splitState;
    if (splitState === undefined) throw new TickscopeError(ErrorCode.badPartial, `the worker thread returned no saved state of the split analysis ${mainSplit.analysis}`);
    const [merged] = mergeSavedStates([adapters[splitIndex]!], context, [{ states: [splitState], packetIndexOffset: 0 }], [analyzers[splitIndex]!]);
    sectionOf.set(mainSplit.analysis, adapters[splitIndex]!.toSection(merged!.finish(), context));
  }
  return { inputs, outcome, context, loaded, sections: adapters.map((adapter) => sectionOf.get(adapter.name)!) };
}

/**
 * The one pass of `tickscope analyze`: reads every capture once, decodes once,
 * feeds every selected analysis, then builds one report section per analysis.
 * With threads (see {@link RunAnalyzeOptions.threads}) either the analyses are
 * split over worker threads ({@link planAnalysisShards}: each thread makes the
 * same pass with its share of the analyses) or the sessions are
 * ({@link RunAnalyzeOptions.threadCut}: each thread decodes and analyzes its
 * share of the sessions and the main thread merges their saved states); the
 * main thread keeps the sessions, captures and counts and puts the sections in
 * report order. Reports are byte-identical whatever the threads.
 */
export async function runAnalyze(options: RunAnalyzeOptions): Promise<AnalyzeResult> {
  const run = await executeRun(options, "sections");
  return {
    toolVersion: TOOL_VERSION,
    generatedAt: options.generatedAt ?? reportGeneratedAt(process.env),
    inputs: run.inputs,
    options: options.recordedOptions ?? {},
    captures: run.outcome.captures,
    sessions: run.context.sessions,
    decodeAnomalies: sortedCounts(run.outcome.decodeAnomalies),
    ...(run.outcome.otherTraffic === undefined ? {} : { otherTraffic: run.outcome.otherTraffic }),
    sections: run.sections!,
  };
}

/** What {@link runAnalyzeStates} returns: everything a partial report holds but the capture hashes. */
export interface AnalyzeStatesResult {
  /** tickscope version. */
  toolVersion: string;
  /** Inputs as analyze records them. */
  inputs: ReportInput[];
  /** One summary per capture, in input order. */
  captures: CaptureSummaryRecord[];
  /** Other traffic of each capture (undefined when nothing was gated). */
  otherTrafficByCapture: (OtherTraffic | undefined)[];
  /** Sessions, each once. */
  sessions: Session[];
  /** Region of each labelled session. */
  regionOfSession: Record<string, string>;
  /** Decode anomalies by code (sorted). */
  decodeAnomalies: Record<string, number>;
  /** Game messages decoded. */
  decodedMessages: number;
  /** The protocol definition, when one was given. */
  definition: unknown;
  /** The key file given (see `AnalysisContext.keyFile`). */
  keyFile?: string | null;
  /** Each analysis's saved state, in report order. */
  states: SavedAnalysisState[];
}

/**
 * The pass of {@link runAnalyze} (threads included) that ends with each
 * analyzer's saved state instead of its section: what `analyze --partial`
 * writes. `E_INVALID_OPTION` names the selected analyses that cannot save
 * their state in this build.
 */
export async function runAnalyzeStates(options: RunAnalyzeOptions): Promise<AnalyzeStatesResult> {
  const run = await executeRun(options, "states");
  return {
    toolVersion: TOOL_VERSION,
    inputs: run.inputs,
    captures: run.outcome.captures,
    otherTrafficByCapture: run.outcome.otherTrafficByCapture,
    sessions: run.context.sessions,
    regionOfSession: Object.fromEntries(run.context.regionOfSession),
    decodeAnomalies: sortedCounts(run.outcome.decodeAnomalies),
    decodedMessages: run.outcome.decodedMessages,
    definition: run.loaded?.definition,
    ...(run.context.keyFile === undefined ? {} : { keyFile: run.context.keyFile }),
    states: run.states!,
  };
}
