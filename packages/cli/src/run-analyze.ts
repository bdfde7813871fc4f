import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { mergeOtherTraffic, reportGeneratedAt, type DecodeAnomaly, type GameMessage, type LogEvent, type MessageAnalyzer, type OtherTraffic, type PacketObservation, type ReportInput, type Session } from "@tickscope/core";
import { runCapturePipeline, type ByteSource, type TimeOrderedLog } from "@tickscope/capture";
import { adapterFor } from "./analyses/registry.js";
import type { AnalysisContext } from "./analyses/analysis-adapter.js";
import type { AnalysisName, AnalysisSection } from "./analysis-section.js";
import type { AnalyzeResult, CaptureSummaryRecord } from "./analyze-result.js";
import { describeInput, loadProtocol, loadProtocolObject } from "./load-inputs.js";
import { TOOL_VERSION } from "./version.js";

/** One capture of an analyze run, optionally labelled with a region. */
export interface AnalyzeInput {
  /** Path, or `-` for stdin. */
  path: string;
  /** Region label of every session in this capture (`--region name=path`). */
  region?: string;
}

/** Options of {@link runAnalyze}. */
export interface RunAnalyzeOptions {
  /** Captures, in time order. */
  inputs: readonly AnalyzeInput[];
  /** Protocol definition path. */
  protocolPath?: string;
  /** Protocol definition given as an object (instead of `protocolPath`). */
  protocolDefinition?: unknown;
  /** Key file path. */
  keysPath?: string;
  /** Server ports. */
  serverPorts?: readonly number[];
  /** Analyses to run, in report order. */
  analyses: readonly AnalysisName[];
  /** Per-analysis settings (`tickscope.config.json` → `analyses`). */
  settings?: Record<string, unknown>;
  /** Region of each server address (`--server-region eu-west=203.0.113.10`): labels sessions of one capture that reaches several servers. */
  serverRegions?: Readonly<Record<string, string>>;
  /** Client locations by client address, for speed-of-light bounds (regions). */
  clientLocations?: Readonly<Record<string, { latitude: number; longitude: number }>>;
  /** Server sites by region name (catalogue id or coordinates), for speed-of-light bounds (regions). */
  serverSites?: Readonly<Record<string, string | { latitude: number; longitude: number }>>;
  /** Server-log events, merged in time order. */
  logEvents?: readonly LogEvent[];
  /** A streamed server log merged in time order with bounded memory (instead of `logEvents`; see `runCapturePipeline`). */
  logStream?: AsyncIterable<LogEvent> | TimeOrderedLog;
  /**
   * Fixed `generatedAt`. Default: the real time, or the instant in
   * `SOURCE_DATE_EPOCH` when that is set (reports are then byte-identical).
   */
  generatedAt?: string;
  /** Effective options to record in the report. */
  recordedOptions?: Record<string, unknown>;
  /** Called as bytes are read: `(bytesRead, totalBytes)`; total is 0 when unknown (stdin). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
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
 * The one pass of `tickscope analyze`: reads every capture once, decodes once,
 * feeds every selected analysis, then builds one report section per analysis.
 */
export async function runAnalyze(options: RunAnalyzeOptions): Promise<AnalyzeResult> {
  const loaded =
    options.protocolPath !== undefined
      ? await loadProtocol(options.protocolPath, options.keysPath)
      : options.protocolDefinition !== undefined
        ? loadProtocolObject(options.protocolDefinition)
        : undefined;
  const context: AnalysisContext = {
    definition: loaded?.definition,
    regionOfSession: new Map(),
    sessions: [],
    clientLocations: new Map(Object.entries(options.clientLocations ?? {})),
    serverSites: { ...(options.serverSites ?? {}) },
    settings: options.settings ?? {},
  };
  const adapters = options.analyses.map(adapterFor);
  const analyzers = adapters.map((adapter) => adapter.create(context));
  const labeller = new RegionLabeller(analyzers, context.regionOfSession, context.sessions, options.serverRegions ?? {});
  const inputs: ReportInput[] = [];
  if (options.protocolPath !== undefined) inputs.push(await describeInput("protocol", options.protocolPath));
  let totalBytes = 0;
  for (const input of options.inputs) {
    const described = await describeInput(input.region === undefined ? "capture" : `capture:${input.region}`, input.path);
    inputs.push(described);
    totalBytes += described.bytes ?? 0;
  }
  let bytesRead = 0;
  const captures: CaptureSummaryRecord[] = [];
  const decodeAnomalies: Record<string, number> = {};
  let otherTraffic: OtherTraffic | undefined;
  const gated = loaded !== undefined || (options.serverPorts?.length ?? 0) > 0;
  for (const [index, input] of options.inputs.entries()) {
    labeller.region = input.region;
    let source: ByteSource = input.path === "-" ? process.stdin : input.path;
    if (options.onProgress !== undefined && input.path !== "-" && (await stat(input.path).catch(() => undefined)) !== undefined) {
      source = countingSource(input.path, (bytes) => {
        bytesRead += bytes;
        options.onProgress!(bytesRead, totalBytes);
      });
    }
    const result = await runCapturePipeline({
      sources: [{ source, name: input.path }],
      decoder: loaded?.protocol,
      serverPorts: options.serverPorts,
      analyzers: [labeller],
      logEvents: index === 0 ? options.logEvents : undefined,
      logStream: index === 0 ? options.logStream : undefined,
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
    if (gated) otherTraffic = otherTraffic === undefined ? result.otherTraffic : mergeOtherTraffic(otherTraffic, result.otherTraffic);
  }
  const sections: AnalysisSection[] = adapters.map((adapter, index) => adapter.toSection(analyzers[index]!.finish(), context));
  return {
    toolVersion: TOOL_VERSION,
    generatedAt: options.generatedAt ?? reportGeneratedAt(process.env),
    inputs,
    options: options.recordedOptions ?? {},
    captures,
    sessions: context.sessions,
    decodeAnomalies: Object.fromEntries(Object.entries(decodeAnomalies).sort(([left], [right]) => left.localeCompare(right))),
    ...(otherTraffic === undefined ? {} : { otherTraffic }),
    sections,
  };
}
