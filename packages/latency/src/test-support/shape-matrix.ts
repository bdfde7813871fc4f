import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { ARENA_DEFINITION, PROFILES, QUEUE_SLOT_BYTES, simulateMatchToMemory, type MatchOptions, type MatchTruth, type NetworkEventSpec } from "@tickscope/sim";
import { LatencyAnalyzer } from "../latency-analyzer.js";
import type { LatencyReport } from "../latency-report.js";

/** The protocol shapes of issue 14 (examples/protocols/), arena first. */
export const SHAPE_NAMES = ["arena", "le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64", "redundant-inputs"] as const;

/** One shape name. */
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** Every built-in network profile of the simulator. */
export const MATRIX_PROFILES = ["fibre", "cable", "dsl", "4g", "5g", "wifi-congested", "intercontinental"] as const;

const examples = fileURLToPath(new URL("../../../../examples/protocols/", import.meta.url));

/** The definition of a shape (arena: the simulator's own). */
export function loadShape(shape: ShapeName): ProtocolDefinition {
  if (shape === "arena") return ARENA_DEFINITION as unknown as ProtocolDefinition;
  return JSON.parse(readFileSync(`${examples}${shape}.json`, "utf8")) as ProtocolDefinition;
}

/** What an injected event is, and the spike cause it should be ranked first with (none: any cause is right). */
export interface InjectedEvent {
  /** `sharedPath` (one delay on several players), `lastMile` (one player), `queueBuildup` (cross traffic), `routeChange` (permanent), `lossBurst`, `tickStall`. */
  kind: "sharedPath" | "lastMile" | "queueBuildup" | "routeChange" | "lossBurst" | "tickStall";
  /** Cause the spike should rank first (undefined: the event has no cause signature of its own). */
  expectedCause: string | undefined;
  /** The event changes the round-trip time (a spike must be found); loss bursts and server stalls do not (RFC 9002 sampling). */
  changesRtt: boolean;
  playerIds: number[];
  startMs: number;
  durationMs: number;
}

/** Players per match of the matrix. */
export const MATRIX_PLAYERS = 12;

/**
 * The events injected into every match of `durationMs` (at least 40 s) on `profile`: a 2-s delay
 * shared by three players, a last-mile delay on one, cross traffic filling one player's uplink
 * queue (only on profiles whose queue can hold ≥ 40 ms: a fibre link drains any burst), a loss
 * burst, a server stall and (with ≥ 55 s) a permanent route change.
 */
export function matrixEvents(profile: string, durationMs: number, seed: number): { events: InjectedEvent[]; specs: NetworkEventSpec[]; stalls: { atMs: number; durationMs: number }[] } {
  const events: InjectedEvent[] = [];
  const specs: NetworkEventSpec[] = [];
  const jitterMs = (seed * 373) % 1000;
  const at = (fraction: number): number => Math.round(durationMs * fraction) + jitterMs;
  const shared = { kind: "sharedPath" as const, expectedCause: "sharedPath", changesRtt: true, playerIds: [1, 2, 3], startMs: at(0.18), durationMs: 2_000 };
  events.push(shared);
  specs.push({ kind: "latencySpike", startMs: shared.startMs, durationMs: shared.durationMs, extraDelayMs: 150, playerIds: shared.playerIds });
  const lastMile = { kind: "lastMile" as const, expectedCause: undefined, changesRtt: true, playerIds: [4], startMs: at(0.32), durationMs: 1_000 };
  events.push(lastMile);
  specs.push({ kind: "latencySpike", startMs: lastMile.startMs, durationMs: lastMile.durationMs, extraDelayMs: 120, playerIds: lastMile.playerIds, direction: "clientToServer" });
  const parameters = PROFILES[profile]!;
  // Standing queue of cross traffic at 95 % of the uplink (network-path.ts): share × queue bytes × 8 / capacity × 0.5.
  const standingMs = (0.95 * parameters.queueLimitPackets * QUEUE_SLOT_BYTES * 8 * 1000 * 0.5) / parameters.uplinkBitsPerSecond;
  if (standingMs >= 40) {
    const queue = { kind: "queueBuildup" as const, expectedCause: "queueBuildup", changesRtt: true, playerIds: [5], startMs: at(0.45), durationMs: 3_000 };
    events.push(queue);
    specs.push({ kind: "crossTraffic", startMs: queue.startMs, durationMs: queue.durationMs, bitsPerSecond: parameters.uplinkBitsPerSecond * 0.95, playerIds: queue.playerIds, direction: "clientToServer" });
  }
  const loss = { kind: "lossBurst" as const, expectedCause: undefined, changesRtt: false, playerIds: [6], startMs: at(0.6), durationMs: 1_500 };
  events.push(loss);
  specs.push({ kind: "lossBurst", startMs: loss.startMs, durationMs: loss.durationMs, lossProbability: 0.6, playerIds: loss.playerIds });
  const stall = { kind: "tickStall" as const, expectedCause: undefined, changesRtt: false, playerIds: [], startMs: at(0.7), durationMs: 250 };
  events.push(stall);
  if (durationMs >= 55_000) {
    const route = { kind: "routeChange" as const, expectedCause: "routeChange", changesRtt: true, playerIds: [7], startMs: at(0.8), durationMs: durationMs };
    events.push(route);
    specs.push({ kind: "routeChange", startMs: route.startMs, extraDelayMs: 60, playerIds: route.playerIds });
  }
  return { events, specs, stalls: [{ atMs: stall.startMs, durationMs: stall.durationMs }] };
}

/** Options of {@link runLatencyShapeMatrix}. */
export interface LatencyShapeMatrixOptions {
  shapes?: readonly ShapeName[];
  profiles?: readonly string[];
  seeds: readonly number[];
  durationMs: number;
  onMatch?: (shape: ShapeName, profile: string, seed: number, seconds: number) => void;
}

/** The matrix row of one shape. */
export interface LatencyShapeRow {
  shape: ShapeName;
  /** Injected RTT changes (event × player hit). */
  injected: number;
  found: number;
  recall: number;
  /** Detected spikes and baseline shifts, and those that match an injected change or a real excursion of the truth's delays. */
  detected: number;
  matched: number;
  precision: number;
  /** Found spikes whose injected event has a cause of its own, and those ranked with it first. */
  withCause: number;
  causeRight: number;
  causeAccuracy: number;
  /** Recall per injected kind (`found/injected`). */
  byKind: Record<string, string>;
  /** Spikes matching no injected change: explained by the truth (a real network excursion) or not (false positives). */
  natural: number;
  falsePositives: string[];
  misses: string[];
  /** Latency anomalies summed over the shape's matches. */
  anomalies: Record<string, number>;
  matches: number;
  seconds: number;
}

/**
 * Runs the latency matrix: every shape × profile × seed is one simulated match with injected
 * events (see {@link matrixEvents}) written through the shape's definition, read back by
 * `@tickscope/capture` and decoded by core's compiled decoder (the real pipeline). A detected
 * spike is right when it overlaps (±1 s) an injected RTT change on that session, or when the
 * truth shows a real excursion there (a datagram of that player sent within ±0.5 s of the spike
 * and delayed beyond its direction's median by at least half the spike's height: the network
 * really spiked, e.g. a Wi-Fi retry stall); any other is a false positive.
 */
export async function runLatencyShapeMatrix(options: LatencyShapeMatrixOptions): Promise<LatencyShapeRow[]> {
  const rows: LatencyShapeRow[] = [];
  for (const shape of options.shapes ?? SHAPE_NAMES) {
    const started = performance.now();
    const definition = loadShape(shape);
    const row: LatencyShapeRow = { shape, injected: 0, found: 0, recall: 1, detected: 0, matched: 0, precision: 1, withCause: 0, causeRight: 0, causeAccuracy: 1, byKind: {}, natural: 0, falsePositives: [], misses: [], anomalies: {}, matches: 0, seconds: 0 };
    const kindCounts = new Map<string, [number, number]>();
    for (const profile of options.profiles ?? MATRIX_PROFILES) {
      for (const seed of options.seeds) {
        const matchStarted = performance.now();
        const { report, truth, events } = await analyzeLatencyShapeMatch(shape, definition, profile, seed, options.durationMs);
        row.matches += 1;
        for (const [code, count] of Object.entries(report.anomalies)) row.anomalies[code] = (row.anomalies[code] ?? 0) + count;
        scoreMatch(row, kindCounts, `${shape} ${profile} seed ${seed}`, report, truth, events);
        options.onMatch?.(shape, profile, seed, (performance.now() - matchStarted) / 1000);
      }
    }
    for (const [kind, [found, injected]] of kindCounts) row.byKind[kind] = `${found}/${injected}`;
    row.recall = row.injected === 0 ? 1 : row.found / row.injected;
    row.precision = row.detected === 0 ? 1 : row.matched / row.detected;
    row.causeAccuracy = row.withCause === 0 ? 1 : row.causeRight / row.withCause;
    row.seconds = (performance.now() - started) / 1000;
    rows.push(row);
  }
  return rows;
}

/** Simulates one match of the matrix in `shape` and runs the latency analyzer on the decoded capture. */
export async function analyzeLatencyShapeMatch(
  shape: ShapeName,
  definition: ProtocolDefinition,
  profile: string,
  seed: number,
  durationMs: number,
): Promise<{ report: LatencyReport; truth: MatchTruth; events: InjectedEvent[] }> {
  const { events, specs, stalls } = matrixEvents(profile, durationMs, seed);
  const match: MatchOptions = { seed: `latency/${shape}/${profile}/${seed}`, players: MATRIX_PLAYERS, durationMs, profile, networkEvents: specs, serverTick: { stalls } };
  const simulated = simulateMatchToMemory(match, shape === "arena" ? {} : { protocol: definition });
  const analyzer = new LatencyAnalyzer();
  const server = simulated.truth.servers[0];
  const result = await runCapturePipeline({ sources: [simulated.pcapng], decoder: compileProtocol(definition), serverPorts: [server.port], analyzers: [analyzer] });
  return { report: result.reports[0] as LatencyReport, truth: simulated.truth, events };
}

const MATCH_SLACK_US = 1_000_000;
const EXCURSION_SLACK_US = 500_000;
/** Smallest one-way excursion the truth records, ms (below any spike the detector reports). */
const EXCURSION_MS = 10;

function scoreMatch(row: LatencyShapeRow, kindCounts: Map<string, [number, number]>, label: string, report: LatencyReport, truth: MatchTruth, events: readonly InjectedEvent[]): void {
  const server = truth.servers[0];
  const sessionOf = (playerId: number): string => {
    const player = truth.players[playerId]!;
    return `udp:${player.address}:${player.port}-${server.address}:${server.port}`;
  };
  const playerOf = new Map<string, number>();
  for (const player of truth.players) playerOf.set(sessionOf(player.playerId), player.playerId);
  const used = new Set<string>();
  for (const event of events) {
    if (!event.changesRtt) continue;
    const startUs = truth.startUs + event.startMs * 1000;
    const endUs = startUs + event.durationMs * 1000;
    for (const playerId of event.playerIds) {
      const session = report.sessions.find((entry) => entry.id === sessionOf(playerId));
      const index = session?.spikes.findIndex((spike) => spike.startUs <= endUs + MATCH_SLACK_US && spike.endUs >= startUs - MATCH_SLACK_US) ?? -1;
      const counts = kindCounts.get(event.kind) ?? [0, 0];
      counts[1] += 1;
      row.injected += 1;
      if (index < 0) {
        row.misses.push(`${label} ${event.kind} player ${playerId} at ${event.startMs} ms: no spike (${session === undefined ? "no session" : `${session.spikes.length} spikes, method ${session.timeSeries.method}`})`);
      } else {
        used.add(`${session!.id}#${index}`);
        row.found += 1;
        counts[0] += 1;
        if (event.expectedCause !== undefined) {
          row.withCause += 1;
          const top = session!.spikes[index]!.causes[0]?.kind ?? "unexplained";
          if (top === event.expectedCause) row.causeRight += 1;
          else row.misses.push(`${label} ${event.kind} player ${playerId}: top cause ${top}, expected ${event.expectedCause}`);
        }
      }
      kindCounts.set(event.kind, counts);
    }
  }
  const excursions = truthExcursions(truth);
  for (const session of report.sessions) {
    const playerId = playerOf.get(session.id);
    for (let index = 0; index < session.spikes.length; index++) {
      row.detected += 1;
      if (used.has(`${session.id}#${index}`)) {
        row.matched += 1;
        continue;
      }
      const spike = session.spikes[index]!;
      const halfHeightUs = ((spike.peakMs - spike.baselineMs) / 2) * 1000;
      const real =
        playerId !== undefined &&
        (excursions.get(playerId) ?? []).some((entry) => entry.sendUs >= spike.startUs - EXCURSION_SLACK_US && entry.sendUs <= spike.endUs + EXCURSION_SLACK_US && entry.extraUs >= halfHeightUs);
      if (real) {
        row.matched += 1;
        row.natural += 1;
      } else {
        row.falsePositives.push(`${label} player ${playerId ?? "?"}: spike ${((spike.startUs - truth.startUs) / 1000).toFixed(0)}–${((spike.endUs - truth.startUs) / 1000).toFixed(0)} ms, ${spike.baselineMs.toFixed(1)} → ${spike.peakMs.toFixed(1)} ms${spike.levelShift ? " (level shift)" : ""}, causes ${spike.causes.map((cause) => cause.kind).join(",") || "none"}`);
      }
    }
  }
}

/** The datagrams per player delayed ≥ {@link EXCURSION_MS} beyond their direction's median one-way delay: send time and extra delay, µs. */
function truthExcursions(truth: MatchTruth): Map<number, { sendUs: number; extraUs: number }[]> {
  const delays = new Map<string, number[]>();
  for (const packet of truth.packets) {
    if (packet.arrivalUs === null || packet.duplicate) continue;
    const key = `${packet.playerId}:${packet.direction}`;
    let list = delays.get(key);
    if (list === undefined) delays.set(key, (list = []));
    list.push(packet.arrivalUs - packet.departUs);
  }
  const medians = new Map<string, number>();
  for (const [key, list] of delays) {
    const sorted = [...list].sort((a, b) => a - b);
    medians.set(key, sorted[sorted.length >> 1]!);
  }
  const result = new Map<number, { sendUs: number; extraUs: number }[]>();
  for (const packet of truth.packets) {
    if (packet.arrivalUs === null || packet.duplicate) continue;
    const extraUs = packet.arrivalUs - packet.departUs - medians.get(`${packet.playerId}:${packet.direction}`)!;
    if (extraUs < EXCURSION_MS * 1000) continue;
    let list = result.get(packet.playerId);
    if (list === undefined) result.set(packet.playerId, (list = []));
    list.push({ sendUs: packet.sendUs, extraUs });
  }
  return result;
}

/** Formats the matrix (one row per shape) as Markdown. */
export function formatLatencyShapeMatrix(rows: readonly LatencyShapeRow[]): string {
  const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
  const lines = [
    "| shape | matches | injected RTT changes | recall | per kind | spikes detected | precision | floor (≥ 90%) | of them natural (truth excursion) | cause accuracy | latency anomalies | seconds |",
    "|---|---:|---:|---:|---|---:|---:|---|---:|---:|---|---:|",
  ];
  for (const row of rows) {
    const kinds = Object.entries(row.byKind).map(([kind, value]) => `${kind} ${value}`).join(", ");
    lines.push(
      `| ${row.shape} | ${row.matches} | ${row.injected} | ${percent(row.recall)} | ${kinds} | ${row.detected} | ${percent(row.precision)} | ${row.precision >= 0.9 ? "met" : "MISSED"} | ${row.natural} | ${percent(row.causeAccuracy)} (${row.causeRight}/${row.withCause}) | ${JSON.stringify(row.anomalies)} | ${row.seconds.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}
