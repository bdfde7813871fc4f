import type { Direction } from "@tickscope/core";
import type { TextSink } from "./byte-sink.js";
import type { CheatKind } from "./match-options.js";
import type { LossCause, NetworkEventKind, PathParameters } from "./network-path.js";
import type { GeoPoint } from "./geography.js";

/** Ground truth of one datagram. */
export interface PacketTruth {
  /** Serial number of the datagram in the simulation (send order). */
  id: number;
  /** Player id. */
  playerId: number;
  /** Direction. */
  direction: Direction;
  /** Header sequence number. */
  sequence: number;
  /** Message types in datagram order. */
  messageTypes: string[];
  /** UDP payload bytes. */
  payloadBytes: number;
  /** True send time (application), µs. */
  sendUs: number;
  /** True time the datagram entered the network (after a lag-switch hold / fake delay), µs. */
  departUs: number;
  /** True arrival time, µs (null when lost). */
  arrivalUs: number | null;
  /** Loss cause (null when delivered). */
  lost: LossCause | null;
  /** Queueing + serialization delay at the bottleneck, µs. */
  queueDelayUs: number;
  /** 0-based index in the main (server-side) capture, or null when it is not in it. */
  serverCaptureIndex: number | null;
  /** True when this is a network duplicate of an earlier datagram. */
  duplicate: boolean;
  /** True when the network reordered it. */
  reordered: boolean;
  /** Network event id that affected it, or null. */
  networkEventId: number | null;
  /** Cheat that shaped this datagram, or null. */
  cheat: CheatKind | null;
}

/** A player in the truth. */
export interface PlayerTruth extends GeoPoint {
  playerId: number;
  /** Client address and port. */
  address: string;
  port: number;
  /** Home region and connected region. */
  homeRegion: string;
  region: string;
  /** Profile name. */
  profile: string;
  /** Client clock: offset of its epoch and drift, as used in `sendTimeUs`. */
  clockDriftPpm: number;
  /** Path parameters per direction. */
  paths: { clientToServer: PathParameters; serverToClient: PathParameters };
  /** Honest player on a bad network (profile loss ≥ 1% or jitter ≥ 8 ms) — false-positive bait. */
  badNetwork: boolean;
}

/** A cheat in the truth (absolute times). */
export interface CheatTruth {
  playerId: number;
  kind: CheatKind;
  startUs: number;
  endUs: number;
  intensity: number;
  /** Client address:port of the cheater. */
  address: string;
  port: number;
}

/** A network event in the truth. */
export interface NetworkEventTruth {
  id: number;
  kind: NetworkEventKind;
  startUs: number;
  endUs: number | null;
  extraDelayMs: number;
  bitsPerSecond: number;
  lossProbability: number;
  directions: Direction[];
  /** Players hit (sorted). */
  playerIds: number[];
}

/** A server in the truth. */
export interface ServerTruth extends GeoPoint {
  region: string;
  address: string;
  port: number;
}

/** A server stall, state reset or rollback (for a rollback, `tick` is the tick rolled back to). */
export interface ServerEventTruth {
  region: string;
  /** What happened. */
  type: "stall" | "stateReset" | "rollback";
  startUs: number;
  endUs: number;
  tick: number;
}

/** Counters at the end of a run. */
export interface TruthSummary {
  /** Datagrams created (including lost ones and duplicates). */
  packets: number;
  /** Packets in the main server-side capture. */
  serverCapturePackets: number;
  /** Packets in the client-side capture (0 when none). */
  clientCapturePackets: number;
  /** Lost datagrams by direction. */
  lostClientToServer: number;
  lostServerToClient: number;
  /** Datagrams sent by direction (excluding network duplicates). */
  sentClientToServer: number;
  sentServerToClient: number;
  /** Server ticks simulated. */
  ticks: number;
}

/** Everything known about a run except the per-packet records. */
export interface TruthHeader {
  format: "tickscope-sim-truth";
  version: 1;
  seed: number | string;
  startUs: number;
  endUs: number;
  tickRate: number;
  inputRate: number;
  snapshotRate: number;
  lagCompensationWindowMs: number;
  maxSpeed: number;
  servers: ServerTruth[];
  players: PlayerTruth[];
  cheats: CheatTruth[];
  networkEvents: NetworkEventTruth[];
}

/** Complete ground truth of a run (the JSON truth file parses to this). */
export interface MatchTruth extends TruthHeader {
  packets: PacketTruth[];
  serverEvents: ServerEventTruth[];
  summary: TruthSummary;
}

/** Truth file formats: one JSON document, or NDJSON (`kind` = match | packet | serverEvent | summary). */
export type TruthFormat = "json" | "ndjson";

/** Serializes a packet truth (fixed key order). */
export function packetTruthToJson(packet: PacketTruth): string {
  return JSON.stringify(packet);
}

/** Streams truth to a text sink and/or collects it in memory. */
export class TruthRecorder {
  private readonly sink: TextSink | undefined;
  private readonly format: TruthFormat;
  private readonly collect: boolean;
  private firstPacket = true;
  /** Collected packets (when collecting). */
  readonly packets: PacketTruth[] = [];
  /** Server events (always kept: few). */
  readonly serverEvents: ServerEventTruth[] = [];

  /** Creates a recorder; `collect` keeps packets in memory. */
  constructor(sink: TextSink | undefined, format: TruthFormat, collect: boolean) {
    this.sink = sink;
    this.format = format;
    this.collect = collect;
  }

  /** True when per-packet truth is needed at all. */
  get active(): boolean {
    return this.sink !== undefined || this.collect;
  }

  /** Writes the header. */
  begin(header: TruthHeader): void {
    if (this.sink === undefined) return;
    if (this.format === "ndjson") {
      this.sink.write(`${JSON.stringify({ kind: "match", ...header })}\n`);
    } else {
      const text = JSON.stringify(header, null, 0);
      this.sink.write(`${text.slice(0, -1)},"packets":[\n`);
    }
  }

  /** Records one packet. */
  packet(packet: PacketTruth): void {
    if (this.collect) this.packets.push(packet);
    if (this.sink === undefined) return;
    if (this.format === "ndjson") {
      this.sink.write(`{"kind":"packet",${packetTruthToJson(packet).slice(1)}\n`);
    } else {
      this.sink.write(this.firstPacket ? packetTruthToJson(packet) : `,\n${packetTruthToJson(packet)}`);
      this.firstPacket = false;
    }
  }

  /** Records a server event. */
  serverEvent(event: ServerEventTruth): void {
    this.serverEvents.push(event);
    if (this.sink !== undefined && this.format === "ndjson") this.sink.write(`{"kind":"serverEvent",${JSON.stringify(event).slice(1)}\n`);
  }

  /** Writes the trailer and flushes. */
  end(summary: TruthSummary): void {
    if (this.sink === undefined) return;
    if (this.format === "ndjson") {
      this.sink.write(`${JSON.stringify({ kind: "summary", ...summary })}\n`);
    } else {
      this.sink.write(`\n],"serverEvents":${JSON.stringify(this.serverEvents)},"summary":${JSON.stringify(summary)}}\n`);
    }
    this.sink.flush();
  }
}
