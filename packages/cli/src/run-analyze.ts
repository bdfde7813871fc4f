import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Transform, type Readable } from "node:stream";
import { mergeOtherTraffic, reportGeneratedAt, type DecodeAnomaly, type GameMessage, type LogEvent, type MessageAnalyzer, type OtherTraffic, type PacketObservation, type ReportInput, type Session } from "@tickscope/core";
import { runCapturePipeline, TimeOrderedLog, type ByteSource } from "@tickscope/capture";
import { adapterFor } from "./analyses/registry.js";
import type { AnalysisAdapter, AnalysisContext } from "./analyses/analysis-adapter.js";
import type { AnalysisName, AnalysisSection } from "./analysis-section.js";
import { planAnalysisShards, type AnalysisShardPlan } from "./analysis-sharding.js";
import { analyzeWorkerLaunch, startAnalysisWorker, type AnalysisWorkerHandle } from "./analyze-worker-launch.js";
import type { AnalyzeResult, CaptureSummaryRecord } from "./analyze-result.js";
import { describeInput, loadProtocol, loadProtocolObject, type LoadedProtocol } from "./load-inputs.js";
import { loadServerLog } from "./server-log-input.js";
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

  constructor(
    private readonly analyzers: readonly MessageAnalyzer<unknown>[],
    private readonly regionOfSession: Map<string, string>,
    private readonly sessions: Session[],
    private readonly serverRegions: Readonly<Record<string, string>>,
  ) {}

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
    for (const analyzer of this.analyzers) analyzer.onSession?.(session);
  }

  onPacket(packet: PacketObservation): void {
    if (this.stopped) throw this.stopError;
    packet.sessionId = this.label(packet.sessionId);
    for (const analyzer of this.analyzers) analyzer.onPacket?.(packet);
  }

  onMessage(message: GameMessage): void {
    message.sessionId = this.label(message.sessionId);
    for (const analyzer of this.analyzers) analyzer.onMessage(message);
  }

  onAnomaly(anomaly: DecodeAnomaly): void {
    anomaly.sessionId = this.label(anomaly.sessionId);
    for (const analyzer of this.analyzers) analyzer.onAnomaly?.(anomaly);
  }

  onLogEvent(event: LogEvent): void {
    for (const analyzer of this.analyzers) analyzer.onLogEvent?.(event);
  }

  finish(): void {}
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
   * single-threaded pass). Undefined: up to `os.availableParallelism()`, as many
   * as make the run shortest by the measured costs (one for a small capture).
   * The run stays on one thread when a capture is stdin (`-`), or when
   * `logStream` is given without the `serverLog` it was opened from. Reports are
   * byte-identical whatever the count.
   */
  threads?: number;
  /**
   * Fixed `generatedAt`. Default: the real time, or the instant in
   * `SOURCE_DATE_EPOCH` when that is set (reports are then byte-identical).
   */
  generatedAt?: string;
  /** Effective options to record in the report. */
  recordedOptions?: Record<string, unknown>;
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
}

async function preparePass(request: AnalysisPassRequest): Promise<PreparedPass> {
  const loaded =
    request.protocolPath !== undefined
      ? await loadProtocol(request.protocolPath, request.keysPath, { captures: request.inputs.map((input) => input.path), serverPorts: request.serverPorts })
      : request.protocolDefinition !== undefined
        ? loadProtocolObject(request.protocolDefinition)
        : undefined;
  const context: AnalysisContext = {
    definition: loaded?.definition,
    regionOfSession: new Map(),
    sessions: [],
    clientLocations: new Map(Object.entries(request.clientLocations ?? {})),
    serverSites: { ...(request.serverSites ?? {}) },
    settings: request.settings ?? {},
    ...(request.protocolPath === undefined ? {} : { keyFile: request.keysPath ?? null }),
  };
  const adapters = request.analyses.map(adapterFor);
  const analyzers = adapters.map((adapter) => adapter.create(context));
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
  const gated = loaded !== undefined || (request.serverPorts?.length ?? 0) > 0;
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
    }
    for (const [code, count] of Object.entries(result.decodeAnomalies)) decodeAnomalies[code] = (decodeAnomalies[code] ?? 0) + count;
    for (const count of result.messages) decodedMessages += count.count;
    if (gated) otherTraffic = otherTraffic === undefined ? result.otherTraffic : mergeOtherTraffic(otherTraffic, result.otherTraffic);
  }
  return { captures, decodeAnomalies, decodedMessages, otherTraffic };
}

/** Puts what reading decoded (decode anomalies, messages) into the context the sections read their reasons from. */
function recordDecodeOutcome(context: AnalysisContext, outcome: PassOutcome): void {
  context.decodeAnomalies = outcome.decodeAnomalies;
  context.decodedMessages = outcome.decodedMessages;
}

/**
 * The pass a worker thread of `analyze --threads` runs: loads the protocol,
 * reads and decodes every capture itself and returns the sections of its
 * analyses, in report order (each exactly what a single-threaded run builds).
 * `onBytesRead` gets the running count of bytes read.
 */
export async function runAnalysisPass(request: AnalysisPassRequest, onBytesRead?: (bytesRead: number) => void): Promise<AnalysisSection[]> {
  const prepared = await preparePass(request);
  const labeller = new RegionLabeller(prepared.analyzers, prepared.context.regionOfSession, prepared.context.sessions, request.serverRegions ?? {});
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
  return prepared.adapters.map((adapter, index) => adapter.toSection(prepared.analyzers[index]!.finish(), prepared.context));
}

/** The thread plan of a run, and why it keeps to one thread when threads were allowed. */
function planThreads(options: RunAnalyzeOptions, captureBytes: number, withDefinition: boolean): { plan: AnalysisShardPlan; singleReason?: string } {
  const single: AnalysisShardPlan = { shards: [{ analyses: [...options.analyses], estimatedSeconds: 0 }], estimatedSeconds: 0 };
  const maxThreads = options.threads ?? availableParallelism();
  if (!(maxThreads >= 2)) return { plan: single };
  if (options.inputs.some((input) => input.path === "-")) return { plan: single, singleReason: "a capture is stdin (-), which cannot be read twice" };
  if (options.logStream !== undefined && options.serverLog === undefined) return { plan: single, singleReason: "the server log is a stream without its file" };
  if (new Set(options.analyses).size !== options.analyses.length) return { plan: single, singleReason: "an analysis is listed twice" };
  if (analyzeWorkerLaunch() === undefined) return { plan: single, singleReason: "the worker module is not next to this one (bundled?)" };
  return { plan: planAnalysisShards(options.analyses, { maxThreads, captureBytes, exact: options.threads !== undefined, withDefinition }) };
}

/** One line describing how a run used threads (`--verbose`), e.g. `2 threads: latency,loss | bandwidth`. */
export function describeThreads(shards: readonly (readonly AnalysisName[])[], singleReason?: string): string {
  if (shards.length <= 1) return `1 thread${singleReason === undefined ? "" : ` (${singleReason})`}`;
  return `${shards.length} threads: ${shards.map((analyses) => analyses.join(",")).join(" | ")}`;
}

/** The plain-data request of one worker's shard. */
function shardRequest(options: RunAnalyzeOptions, analyses: readonly AnalysisName[]): AnalysisPassRequest {
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
  };
}

/** Starts one worker per shard after the first; undefined when the request cannot be sent (not plain data). */
function startShardWorkers(options: RunAnalyzeOptions, plan: AnalysisShardPlan, onBytesRead: ((shard: number, bytesRead: number) => void) | undefined): AnalysisWorkerHandle[] | undefined {
  const handles: AnalysisWorkerHandle[] = [];
  try {
    for (const [index, shard] of plan.shards.entries()) {
      if (index === 0) continue;
      handles.push(startAnalysisWorker(shardRequest(options, shard.analyses), onBytesRead === undefined ? undefined : (bytesRead) => onBytesRead(index, bytesRead)));
    }
    return handles;
  } catch (error) {
    for (const handle of handles) void handle.terminate();
    if ((error as Error)?.name === "DataCloneError") return undefined;
    throw error;
  }
}

/**
 * The one pass of `tickscope analyze`: reads every capture once, decodes once,
 * feeds every selected analysis, then builds one report section per analysis.
 * With threads (see {@link RunAnalyzeOptions.threads}) the analyses are split
 * over worker threads ({@link planAnalysisShards}): each thread makes the same
 * pass with its share of the analyses, the main thread keeps the sessions,
 * captures and counts of its own pass and puts the sections in report order.
 */
export async function runAnalyze(options: RunAnalyzeOptions): Promise<AnalyzeResult> {
  const prepared = await preparePass(options);
  const { loaded, context, adapters, analyzers } = prepared;
  const inputs: ReportInput[] = [];
  if (options.protocolPath !== undefined) inputs.push(await describeInput("protocol", options.protocolPath));
  let totalBytes = 0;
  for (const input of options.inputs) {
    const described = await describeInput(input.region === undefined ? "capture" : `capture:${input.region}`, input.path);
    inputs.push(described);
    totalBytes += described.bytes ?? 0;
  }
  const { plan, singleReason } = planThreads(options, totalBytes, loaded !== undefined);
  const bytesReadByShard = plan.shards.map(() => 0);
  const reportProgress =
    options.onProgress === undefined
      ? undefined
      : (shard: number, bytesRead: number): void => {
          bytesReadByShard[shard] = bytesRead;
          options.onProgress!(Math.min(...bytesReadByShard), totalBytes);
        };
  const workers = plan.shards.length > 1 ? startShardWorkers(options, plan, reportProgress) : [];
  const mainAnalyses = new Set<AnalysisName>(workers === undefined ? options.analyses : plan.shards[0]!.analyses);
  options.onThreads?.(
    workers === undefined ? describeThreads([options.analyses], "the options are not plain data a worker can receive") : describeThreads(plan.shards.map((shard) => shard.analyses), singleReason),
  );
  const mainIndices = adapters.flatMap((adapter, index) => (mainAnalyses.has(adapter.name) ? [index] : []));
  const labeller = new RegionLabeller(
    mainIndices.map((index) => analyzers[index]!),
    context.regionOfSession,
    context.sessions,
    options.serverRegions ?? {},
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
  recordDecodeOutcome(context, outcome);
  const sectionOf = new Map<AnalysisName, AnalysisSection>();
  for (const index of mainIndices) sectionOf.set(adapters[index]!.name, adapters[index]!.toSection(analyzers[index]!.finish(), context));
  try {
    for (const [index, sections] of (await Promise.all(workerResults)).entries()) {
      for (const [position, analysis] of plan.shards[index + 1]!.analyses.entries()) sectionOf.set(analysis, sections[position]!);
    }
  } finally {
    await Promise.all((workers ?? []).map((worker) => worker.terminate()));
  }
  const sections = adapters.map((adapter) => sectionOf.get(adapter.name)!);
  return {
    toolVersion: TOOL_VERSION,
    generatedAt: options.generatedAt ?? reportGeneratedAt(process.env),
    inputs,
    options: options.recordedOptions ?? {},
    captures: outcome.captures,
    sessions: context.sessions,
    decodeAnomalies: Object.fromEntries(Object.entries(outcome.decodeAnomalies).sort(([left], [right]) => left.localeCompare(right))),
    ...(outcome.otherTraffic === undefined ? {} : { otherTraffic: outcome.otherTraffic }),
    sections,
  };
}
