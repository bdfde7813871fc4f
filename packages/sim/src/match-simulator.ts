import type { Direction } from "@tickscope/core";
import { createArenaEncoder } from "./arena-encoder.js";
import { TextSink, type ByteSink } from "./byte-sink.js";
import { ARENA_LIMITS, type ArenaDatagram, type ArenaEntityState, type ArenaInputFrame, type ArenaMessage, type DatagramEncoder, type DatagramStream } from "./arena-types.js";
import { EventQueue, type QueuedEvent } from "./event-queue.js";
import { destinationPoint, greatCircleDistanceKm, type GeoPoint } from "./geography.js";
import { gilbertElliottStationaryLoss } from "./gilbert-elliott.js";
import {
  CHEAT_DEFAULT_INTENSITY,
  CHEAT_KINDS,
  normalizeMatchOptions,
  type CheatKind,
  type CheatSpec,
  type MatchOptions,
  type NormalizedMatchOptions,
} from "./match-options.js";
import { createTransmitResult, NetworkPath, pathParameters, type ResolvedNetworkEvent, type TransmitResult } from "./network-path.js";
import { PcapngWriter } from "./pcapng-writer.js";
import type { NetworkProfile } from "./profiles.js";
import { createRandom, type Xoshiro128 } from "./random.js";
import {
  TruthRecorder,
  type CheatTruth,
  type NetworkEventTruth,
  type PacketTruth,
  type PlayerTruth,
  type ServerEventTruth,
  type TruthFormat,
  type TruthHeader,
  type TruthSummary,
} from "./truth.js";
import { createUdpEndpoint, type UdpEndpoint } from "./udp-endpoint.js";

/** A capture written with a host clock that is offset and drifting from true time. */
export interface ClockedCaptureSink {
  /** Where the pcapng bytes go. */
  sink: ByteSink;
  /** Host clock offset from true time, ms (default 0). */
  clockOffsetMs?: number;
  /** Host clock drift, parts per million (default 0). */
  clockDriftPpm?: number;
}

/** A client-side capture: the traffic as seen on the given players' machines. */
export interface ClientCaptureSink extends ClockedCaptureSink {
  /** Players whose traffic is captured (default `[0]`; `"all"` for every player). */
  playerIds?: number[] | "all";
}

/** Outputs of {@link simulateMatch}; every one is optional. */
export interface MatchSinks {
  /** Main server-side capture (pcapng) stamped with true time (`--out`). */
  capture?: ByteSink;
  /** Server-side capture stamped with the server host's clock (`--server-capture`). */
  serverCapture?: ClockedCaptureSink;
  /** Client-side capture (`--client-capture`). */
  clientCapture?: ClientCaptureSink;
  /** Server log as NDJSON (`--server-log`). */
  serverLog?: ByteSink;
  /** Ground truth (`--truth`). */
  truth?: ByteSink;
  /** Truth format (default `json`; use `ndjson` for large runs). */
  truthFormat?: TruthFormat;
  /** Keep the per-packet truth in memory and return it (small runs only). */
  collectTruth?: boolean;
  /** Progress callback, called about every simulated second. */
  onProgress?: (simulatedMs: number, totalMs: number) => void;
  /** Datagram encoder (default: the arena definition's compiled encoder). */
  encoder?: DatagramEncoder;
}

/** What {@link simulateMatch} returns. */
export interface MatchResult {
  /** Counters. */
  summary: TruthSummary;
  /** Per-packet truth (only with `collectTruth`). */
  packets: PacketTruth[];
  /** The complete truth header (servers, players, cheats, events). */
  header: TruthHeader;
  /** Server stalls and state resets. */
  serverEvents: ServerEventTruth[];
}

const EVENT_CLIENT_INPUT = 0;
const EVENT_SERVER_TICK = 1;
const EVENT_SERVER_SEND = 2;
const EVENT_ARRIVE_SERVER = 3;
const EVENT_ARRIVE_CLIENT = 4;
const EVENT_STATE_RESET = 5;
const EVENT_REPLAY = 6;

interface SimEvent extends QueuedEvent {
  type: number;
  player: Player | null;
  region: Region | null;
  packet: SimPacket | null;
  index: number;
  baseUs: number;
}

interface SimPacket {
  truth: PacketTruth;
  player: Player;
  datagram: ArenaDatagram;
  payload: Uint8Array;
  ignoredByServer: boolean;
}

interface PendingReliable {
  message: ArenaMessage;
  lastSentSequence: number;
  lastSentUs: number;
  sendCount: number;
}

interface ReplayEntry {
  payload: Uint8Array;
  datagram: ArenaDatagram;
  sentUs: number;
}

interface ActiveCheat {
  kind: CheatKind;
  startUs: number;
  endUs: number;
  intensity: number;
}

const INTERPOLATION_DELAY_US = 100_000;
const RELIABLE_RESEND_US = 250_000;
const RESPAWN_US = 3_000_000;
const KILL_PROBABILITY = 0.05;
const FULL_SNAPSHOT_ENTITIES = 64;
const EMPTY_PAYLOAD = new Uint8Array(0);
const FULL_SNAPSHOT_MAX_ENTITIES = 512;
const TWO_PI = Math.PI * 2;
const HALF_PI = Math.PI / 2;
const ARENA_FORGED_PROTOCOL_ID = 0x46414b45; // "FAKE"
const CHAT_LINES = ["gg", "nice shot", "lag?", "push B", "need ammo", "wp", "who is lagging", "rotate", "one left", "rez me"];

class Region {
  readonly index: number;
  readonly name: string;
  readonly location: GeoPoint;
  readonly endpoint: UdpEndpoint;
  readonly players: Player[] = [];
  readonly clockEpochUs: number;
  tick = 0;
  lastTickUs = 0;
  nextSnapshotUs = 0;
  snapshotDue = false;
  stalls: { atUs: number; durationUs: number }[] = [];
  rollbacks: { atUs: number; ticks: number }[] = [];
  constructor(index: number, name: string, location: GeoPoint, endpoint: UdpEndpoint, clockEpochUs: number) {
    this.index = index;
    this.name = name;
    this.location = location;
    this.endpoint = endpoint;
    this.clockEpochUs = clockEpochUs;
  }
}

class Player {
  readonly id: number;
  readonly endpoint: UdpEndpoint;
  readonly region: Region;
  readonly random: Xoshiro128;
  readonly upPath: NetworkPath;
  readonly downPath: NetworkPath;
  readonly profile: NetworkProfile;
  readonly hops: number;
  regionIndex = 0;
  neighborCache: Player[] | null = null;
  entitySnapshot: ArenaEntityState | null = null;
  homeRegion = "";
  location: GeoPoint = { latitude: 0, longitude: 0 };
  cheats: ActiveCheat[] = [];
  captured = false;
  /** Encoder stream ids of this player's two directions. */
  upStream: DatagramStream;
  downStream: DatagramStream;
  // client clock
  clockEpochUs: number;
  clockDriftPpm: number;
  clockValueUs = 0;
  clockTrueUs = 0;
  // client send state
  clientSequence = 0;
  inputSequence = 0;
  frames: ArenaInputFrame[] = [];
  moveX = 0;
  moveY = 0;
  aimYaw = 0;
  aimPitch = 0;
  nextShotUs = Infinity;
  shotId = 0;
  nextPingUs = 0;
  pingId = 0;
  outstandingPings = new Map<number, number>();
  smoothedRttMs = -1;
  pendingChat: { eventId: number; text: string; lastSentSequence: number; lastSentUs: number; sendCount: number } | null = null;
  nextChatUs = Infinity;
  chatEventId = 0;
  replayBuffer: ReplayEntry[] = [];
  recordsReplays = false;
  nextReplayUs = Infinity;
  // client receive state
  clientLatest = -1;
  clientBits = 0;
  lastSnapshotServerSendUs = 0;
  seenX = 0;
  seenY = 0;
  seenZ = 0;
  // server receive state
  serverLatest = -1;
  serverBits = 0;
  lastProcessedInput = -1;
  lastChatEventSeen = -1;
  lastRttLogUs = -Infinity;
  lastReportedRttMs = 0;
  // server send state
  serverSequence = 0;
  serverEventId = 0;
  pendingPongs: { pingId: number; arrivalUs: number }[] = [];
  pendingReliable: PendingReliable[] = [];
  fullSnapshotBurst = false;
  // entity
  x = 0;
  y = 0;
  z = 0;
  lastTickX = 0;
  lastTickY = 0;
  velocityX = 0;
  velocityY = 0;
  health = 100;
  respawnAtUs = Infinity;
  nextTeleportUs = Infinity;

  constructor(id: number, endpoint: UdpEndpoint, region: Region, random: Xoshiro128, upPath: NetworkPath, downPath: NetworkPath, profile: NetworkProfile, hops: number) {
    this.id = id;
    this.endpoint = endpoint;
    this.region = region;
    this.random = random;
    this.upPath = upPath;
    this.downPath = downPath;
    this.profile = profile;
    this.hops = hops;
    this.upStream = { playerId: id, direction: "clientToServer", regionIndex: region.index };
    this.downStream = { playerId: id, direction: "serverToClient", regionIndex: region.index };
    this.clockEpochUs = random.uniform(1e9, 4e11);
    this.clockDriftPpm = random.uniform(-50, 50);
    this.clockValueUs = this.clockEpochUs;
  }

  cheat(kind: CheatKind, tUs: number): ActiveCheat | undefined {
    for (const cheat of this.cheats) if (cheat.kind === kind && tUs >= cheat.startUs && tUs < cheat.endUs) return cheat;
    return undefined;
  }

  clientClock(tUs: number): number {
    if (tUs > this.clockTrueUs) {
      const speed = this.cheat("speedhack", this.clockTrueUs);
      const rate = (1 + this.clockDriftPpm * 1e-6) * (speed === undefined ? 1 : speed.intensity);
      this.clockValueUs += (tUs - this.clockTrueUs) * rate;
      this.clockTrueUs = tUs;
    }
    return this.clockValueUs;
  }
}

function ackState(latest: number, bits: number, sequence: number): [number, number] {
  if (latest < 0) return [sequence, 0];
  const difference = (sequence - latest) & 0xffff;
  if (difference === 0) return [latest, bits];
  if (difference < 0x8000) {
    // Newer: the old latest becomes bit (difference − 1), older bits shift up.
    if (difference > 32) return [sequence, 0];
    if (difference === 32) return [sequence, 0x80000000];
    return [sequence, ((bits << difference) | (1 << (difference - 1))) >>> 0];
  }
  const back = (latest - sequence) & 0xffff;
  if (back <= 32) return [latest, (bits | (1 << (back - 1))) >>> 0];
  return [latest, bits];
}

function isAcked(ack: number, ackBits: number, sequence: number): boolean {
  if (sequence === ack) return true;
  const back = (ack - sequence) & 0xffff;
  return back >= 1 && back <= 32 && ((ackBits >>> (back - 1)) & 1) === 1;
}

const clamp = (value: number, minimum: number, maximum: number): number => (value < minimum ? minimum : value > maximum ? maximum : value);

/**
 * Runs a whole match and streams its outputs: server-side pcapng (true time),
 * optional server-clock and client-side pcapng, server log NDJSON and ground
 * truth. Deterministic: the same options give byte-identical outputs. Memory
 * is bounded by the players' state and the packets in flight, not by duration.
 */
export function simulateMatch(options: MatchOptions, sinks: MatchSinks): MatchResult {
  const config = normalizeMatchOptions(options);
  return new MatchSimulation(config, sinks, sinks.encoder ?? createArenaEncoder()).run();
}

class MatchSimulation {
  private readonly config: NormalizedMatchOptions;
  private readonly sinks: MatchSinks;
  private readonly encoder: DatagramEncoder;
  private readonly random: Xoshiro128;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly regions: Region[] = [];
  private readonly players: Player[] = [];
  private readonly networkEvents: ResolvedNetworkEvent[] = [];
  private readonly networkEventTruth: NetworkEventTruth[] = [];
  private readonly cheatTruth: CheatTruth[] = [];
  private readonly transmit: TransmitResult = createTransmitResult();
  private readonly truth: TruthRecorder;
  private readonly truthSink: TextSink | undefined;
  private readonly log: TextSink | undefined;
  private readonly mainCapture: PcapngWriter | undefined;
  private readonly serverCapture: PcapngWriter | undefined;
  private readonly clientCapture: PcapngWriter | undefined;
  private readonly serverClockOffsetUs: number;
  private readonly serverClockDrift: number;
  private readonly clientClockOffsetUs: number;
  private readonly clientClockDrift: number;
  private readonly endUs: number;
  private readonly tickIntervalUs: number;
  private readonly inputIntervalUs: number;
  private packetSerial = 0;
  private readonly summary: TruthSummary = {
    packets: 0,
    serverCapturePackets: 0,
    clientCapturePackets: 0,
    lostClientToServer: 0,
    lostServerToClient: 0,
    sentClientToServer: 0,
    sentServerToClient: 0,
    ticks: 0,
  };

  constructor(config: NormalizedMatchOptions, sinks: MatchSinks, encoder: DatagramEncoder) {
    this.config = config;
    this.sinks = sinks;
    this.encoder = encoder;
    this.random = createRandom(config.seed);
    this.endUs = config.startUs + config.durationMs * 1000;
    this.tickIntervalUs = 1e6 / config.tickRate;
    this.inputIntervalUs = 1e6 / config.inputRate;
    this.truthSink = sinks.truth === undefined ? undefined : new TextSink(sinks.truth);
    this.truth = new TruthRecorder(this.truthSink, sinks.truthFormat ?? "json", sinks.collectTruth === true);
    this.log = sinks.serverLog === undefined ? undefined : new TextSink(sinks.serverLog);
    this.mainCapture = sinks.capture === undefined ? undefined : new PcapngWriter(sinks.capture, { interfaceName: "server0" });
    this.serverCapture = sinks.serverCapture === undefined ? undefined : new PcapngWriter(sinks.serverCapture.sink, { interfaceName: "server0" });
    this.clientCapture = sinks.clientCapture === undefined ? undefined : new PcapngWriter(sinks.clientCapture.sink, { interfaceName: "client0" });
    this.serverClockOffsetUs = (sinks.serverCapture?.clockOffsetMs ?? 0) * 1000;
    this.serverClockDrift = (sinks.serverCapture?.clockDriftPpm ?? 0) * 1e-6;
    this.clientClockOffsetUs = (sinks.clientCapture?.clockOffsetMs ?? 0) * 1000;
    this.clientClockDrift = (sinks.clientCapture?.clockDriftPpm ?? 0) * 1e-6;
    this.build();
  }

  private newEvent(type: number, player: Player | null, region: Region | null, packet: SimPacket | null): SimEvent {
    return { tUs: 0, order: 0, type, player, region, packet, index: 0, baseUs: 0 };
  }

  private pickProfile(random: Xoshiro128): NetworkProfile {
    const { profiles, profileWeights } = this.config;
    if (profiles.length === 1) return profiles[0];
    const total = profileWeights.reduce((sum, weight) => sum + weight, 0);
    let draw = random.next() * total;
    for (let index = 0; index < profiles.length; index++) {
      draw -= profileWeights[index];
      if (draw < 0) return profiles[index];
    }
    return profiles[profiles.length - 1];
  }

  private build(): void {
    const config = this.config;
    const setup = this.random.fork("setup");
    config.regions.forEach((spec, index) => {
      const region = new Region(index, spec.name, { latitude: spec.latitude, longitude: spec.longitude }, createUdpEndpoint(spec.serverAddress, spec.serverPort), setup.uniform(1e10, 5e11));
      this.regions.push(region);
    });
    const shareTotal = config.regions.reduce((sum, region) => sum + region.playerShare, 0) || 1;
    // Players: home region, location, profile, server.
    interface Draft {
      id: number;
      home: Region;
      server: Region;
      location: GeoPoint;
      profile: NetworkProfile;
      random: Xoshiro128;
    }
    const drafts: Draft[] = [];
    for (let id = 0; id < config.players; id++) {
      const random = this.random.fork(`player:${id}`);
      let draw = random.next() * shareTotal;
      let home = this.regions[this.regions.length - 1];
      for (let index = 0; index < this.regions.length; index++) {
        draw -= config.regions[index].playerShare;
        if (draw < 0) {
          home = this.regions[index];
          break;
        }
      }
      const profile = this.pickProfile(random);
      const location = destinationPoint(home.location, profile.typicalPathKm * random.uniform(0.3, 1.2), random.uniform(0, 360));
      let server = home;
      if (this.regions.length > 1 && random.next() < config.crossRegionShare) {
        const others = this.regions.filter((region) => region !== home);
        server = random.pick(others);
      }
      drafts.push({ id, home, server, location, profile, random });
    }
    const eventsByPlayer = this.resolveNetworkEvents(drafts.map((draft) => draft.server.name));
    const clientCapturePlayers = this.sinks.clientCapture?.playerIds ?? [0];
    for (const draft of drafts) {
      const host = draft.id + 1;
      const address = config.ipVersion === 4 ? `100.${64 + (host >> 16)}.${(host >> 8) & 255}.${host & 255}` : `2001:db8:c::${host.toString(16)}`;
      const endpoint = createUdpEndpoint(address, 40000 + (draft.id % 20000));
      const distanceKm = Math.max(1, greatCircleDistanceKm(draft.location, draft.server.location));
      const events = eventsByPlayer[draft.id];
      const upPath = new NetworkPath(pathParameters(draft.profile, distanceKm, "clientToServer"), draft.random.fork("up"), events);
      const downPath = new NetworkPath(pathParameters(draft.profile, distanceKm, "serverToClient"), draft.random.fork("down"), events);
      const player = new Player(draft.id, endpoint, draft.server, draft.random, upPath, downPath, draft.profile, 6 + Math.floor(distanceKm / 800));
      player.homeRegion = draft.home.name;
      player.location = draft.location;
      player.captured = this.clientCapture !== undefined && (clientCapturePlayers === "all" || clientCapturePlayers.includes(draft.id));
      player.x = draft.random.uniform(-1500, 1500);
      player.y = draft.random.uniform(-1500, 1500);
      player.z = draft.random.uniform(0, 40);
      player.lastTickX = player.x;
      player.lastTickY = player.y;
      player.aimYaw = draft.random.uniform(0, TWO_PI);
      this.players.push(player);
      draft.server.players.push(player);
    }
    for (const region of this.regions) region.players.forEach((player, index) => (player.regionIndex = index));
    this.assignCheats();
  }

  private resolveNetworkEvents(serverRegionOfPlayer: string[]): ResolvedNetworkEvent[][] {
    const config = this.config;
    const byPlayer: ResolvedNetworkEvent[][] = serverRegionOfPlayer.map(() => []);
    config.networkEvents.forEach((spec, id) => {
      const random = this.random.fork(`event:${id}`);
      let candidates = spec.playerIds ?? serverRegionOfPlayer.map((_, index) => index);
      candidates = candidates.filter((playerId) => playerId >= 0 && playerId < config.players);
      if (spec.region !== undefined) candidates = candidates.filter((playerId) => serverRegionOfPlayer[playerId] === spec.region);
      const fraction = spec.fraction ?? 1;
      const hit = fraction >= 1 ? candidates : candidates.filter(() => random.next() < fraction);
      const directions: Direction[] = spec.direction === undefined || spec.direction === "both" ? ["clientToServer", "serverToClient"] : [spec.direction];
      const startUs = config.startUs + spec.startMs * 1000;
      const endUs = spec.durationMs === undefined ? Infinity : startUs + spec.durationMs * 1000;
      const event: ResolvedNetworkEvent = {
        id,
        kind: spec.kind,
        startUs,
        endUs,
        extraDelayMs: spec.extraDelayMs ?? 0,
        bitsPerSecond: spec.bitsPerSecond ?? 0,
        lossProbability: spec.lossProbability ?? (spec.kind === "lossBurst" ? 0.5 : spec.kind === "outage" ? 1 : 0),
        directions,
      };
      this.networkEvents.push(event);
      this.networkEventTruth.push({
        id,
        kind: event.kind,
        startUs,
        endUs: Number.isFinite(endUs) ? endUs : null,
        extraDelayMs: event.extraDelayMs,
        bitsPerSecond: event.bitsPerSecond,
        lossProbability: event.lossProbability,
        directions,
        playerIds: [...hit].sort((a, b) => a - b),
      });
      for (const playerId of hit) byPlayer[playerId].push(event);
    });
    return byPlayer;
  }

  private assignCheats(): void {
    const config = this.config;
    let specs: CheatSpec[];
    if (typeof config.cheats === "number") {
      const random = this.random.fork("cheats");
      const ids = this.players.map((player) => player.id);
      for (let index = ids.length - 1; index > 0; index--) {
        const swap = Math.floor(random.next() * (index + 1));
        [ids[index], ids[swap]] = [ids[swap], ids[index]];
      }
      specs = ids
        .slice(0, Math.floor(config.cheats))
        .sort((a, b) => a - b)
        .map((playerId, index) => ({ playerId, kind: CHEAT_KINDS[index % CHEAT_KINDS.length] }));
    } else {
      specs = config.cheats;
    }
    for (const spec of specs) {
      const player = this.players[spec.playerId];
      const cheat: ActiveCheat = {
        kind: spec.kind,
        startUs: config.startUs + (spec.startMs ?? 0) * 1000,
        endUs: config.startUs + (spec.endMs ?? config.durationMs) * 1000,
        intensity: spec.intensity ?? CHEAT_DEFAULT_INTENSITY[spec.kind],
      };
      player.cheats.push(cheat);
      this.cheatTruth.push({ playerId: player.id, kind: cheat.kind, startUs: cheat.startUs, endUs: cheat.endUs, intensity: cheat.intensity, address: player.endpoint.address, port: player.endpoint.port });
    }
    this.cheatTruth.sort((a, b) => a.playerId - b.playerId || a.startUs - b.startUs || a.kind.localeCompare(b.kind));
  }

  private header(): TruthHeader {
    const config = this.config;
    const players: PlayerTruth[] = this.players.map((player) => {
      const location = player.location;
      return {
        playerId: player.id,
        address: player.endpoint.address,
        port: player.endpoint.port,
        homeRegion: player.homeRegion,
        region: player.region.name,
        latitude: location.latitude,
        longitude: location.longitude,
        profile: player.profile.name,
        clockDriftPpm: player.clockDriftPpm,
        paths: { clientToServer: player.upPath.parameters, serverToClient: player.downPath.parameters },
        badNetwork: player.cheats.length === 0 && (gilbertElliottStationaryLoss(player.profile.loss) >= 0.01 || player.profile.jitterMs >= 8),
      };
    });
    return {
      format: "tickscope-sim-truth",
      version: 1,
      seed: config.seed,
      startUs: config.startUs,
      endUs: this.endUs,
      tickRate: config.tickRate,
      inputRate: config.inputRate,
      snapshotRate: config.snapshotRate,
      lagCompensationWindowMs: config.lagCompensationWindowMs,
      maxSpeed: config.maxSpeed,
      servers: this.regions.map((region) => ({ region: region.name, address: region.endpoint.address, port: region.endpoint.port, ...region.location })),
      players,
      cheats: this.cheatTruth,
      networkEvents: this.networkEventTruth,
    };
  }

  run(): MatchResult {
    const config = this.config;
    const header = this.header();
    this.truth.begin(header);
    const start = config.startUs;
    for (const region of this.regions) {
      region.lastTickUs = start;
      region.nextSnapshotUs = start;
      this.queue.push(this.newEvent(EVENT_SERVER_TICK, null, region, null), start);
    }
    for (const player of this.players) {
      const random = player.random;
      this.queue.push(this.newEvent(EVENT_CLIENT_INPUT, player, null, null), start + random.uniform(0, this.inputIntervalUs));
      player.nextPingUs = start + random.uniform(0, config.pingIntervalMs * 1000);
      player.nextShotUs = config.shotsPerSecond > 0 ? start + random.exponential(1e6 / config.shotsPerSecond) : Infinity;
      player.nextChatUs = start + random.exponential(90e6);
      player.recordsReplays = player.cheats.some((cheat) => cheat.kind === "replay");
      if (player.recordsReplays) {
        const cheat = player.cheats.find((candidate) => candidate.kind === "replay") as ActiveCheat;
        player.nextReplayUs = Math.max(cheat.startUs, start + 1e6);
        this.queue.push(this.newEvent(EVENT_REPLAY, player, null, null), player.nextReplayUs);
      }
      const teleport = player.cheats.find((candidate) => candidate.kind === "teleport");
      if (teleport !== undefined) player.nextTeleportUs = teleport.startUs + random.exponential(2e6);
    }
    for (const reset of config.stateResets) {
      for (const region of this.regions) {
        if (reset.region !== undefined && reset.region !== region.name) continue;
        const event = this.newEvent(EVENT_STATE_RESET, null, region, null);
        event.index = reset.reason;
        this.queue.push(event, start + reset.atMs * 1000);
      }
    }
    for (const rollback of config.rollbacks) {
      for (const region of this.regions) {
        if (rollback.region === undefined || rollback.region === region.name) region.rollbacks.push({ atUs: start + rollback.atMs * 1000, ticks: rollback.ticks });
      }
    }
    for (const stall of config.serverTick.stalls) {
      for (const region of this.regions) {
        if (stall.region !== undefined && stall.region !== region.name) continue;
        region.stalls.push({ atUs: start + stall.atMs * 1000, durationUs: stall.durationMs * 1000 });
      }
    }
    let nextProgressUs = start + 1e6;
    for (;;) {
      const event = this.queue.pop();
      if (event === undefined) break;
      const now = event.tUs;
      if (now > this.endUs && (event.type === EVENT_CLIENT_INPUT || event.type === EVENT_SERVER_TICK || event.type === EVENT_REPLAY)) continue;
      if (now >= nextProgressUs) {
        this.sinks.onProgress?.(Math.min(config.durationMs, (now - start) / 1000), config.durationMs);
        nextProgressUs = now + 1e6;
      }
      switch (event.type) {
        case EVENT_CLIENT_INPUT:
          this.clientInput(event, now);
          break;
        case EVENT_SERVER_TICK:
          this.serverTick(event, now);
          break;
        case EVENT_SERVER_SEND:
          this.serverSend(event, now);
          break;
        case EVENT_ARRIVE_SERVER:
          this.arriveServer(event.packet as SimPacket, now, event.index === 1);
          break;
        case EVENT_ARRIVE_CLIENT:
          this.arriveClient(event.packet as SimPacket, now, event.index === 1);
          break;
        case EVENT_STATE_RESET:
          this.stateReset(event.region as Region, now, event.index);
          break;
        case EVENT_REPLAY:
          this.replay(event, now);
          break;
      }
    }
    this.sinks.onProgress?.(config.durationMs, config.durationMs);
    this.summary.serverCapturePackets = this.mainCapture?.packetCount ?? this.summary.serverCapturePackets;
    this.summary.clientCapturePackets = this.clientCapture?.packetCount ?? 0;
    this.truth.end(this.summary);
    this.truthSink?.close();
    this.log?.close();
    this.mainCapture?.close();
    this.serverCapture?.close();
    this.clientCapture?.close();
    return { summary: { ...this.summary }, packets: this.truth.packets, header, serverEvents: this.truth.serverEvents };
  }

  // ---------------------------------------------------------------- logging
  private logLine(object: Record<string, unknown>): void {
    this.log?.write(`${JSON.stringify(object)}\n`);
  }

  // ---------------------------------------------------------------- client side
  private clientInput(event: SimEvent, now: number): void {
    const player = event.player as Player;
    const config = this.config;
    const random = player.random;
    const speedhack = player.cheat("speedhack", now);
    const flooding = player.cheat("inputFlooding", now);
    const bot = player.cheat("botTiming", now);
    // New input frame (flooding repeats the current frames most of the time).
    const newFrame = flooding === undefined || random.next() < 1 / flooding.intensity;
    if (newFrame) {
      if (random.next() < 0.05) {
        player.moveX = clamp(Math.round(random.uniform(-1.2, 1.2) * 2) / 2, -1, 1);
        player.moveY = clamp(Math.round(random.uniform(-1.2, 1.2) * 2) / 2, -1, 1);
      }
      player.aimYaw = (player.aimYaw + random.normal(0, 0.02) + TWO_PI) % TWO_PI;
      player.aimPitch = clamp(player.aimPitch + random.normal(0, 0.01), -HALF_PI + 0.01, HALF_PI - 0.01);
      player.inputSequence = (player.inputSequence + 1) >>> 0;
      player.frames.unshift({ moveX: player.moveX, moveY: player.moveY, aimYaw: player.aimYaw, aimPitch: player.aimPitch, buttons: now >= player.nextShotUs ? 1 : 0 });
      if (player.frames.length > config.inputRedundancy) player.frames.length = config.inputRedundancy;
    }
    const messages: ArenaMessage[] = [
      { type: "input", fields: { inputSequence: player.inputSequence, reportedRttMs: Math.round(clamp(player.smoothedRttMs < 0 ? 0 : player.smoothedRttMs, 0, ARENA_LIMITS.maxReportedRttMs)), inputs: player.frames.slice() } },
    ];
    const clientNow = player.clientClock(now);
    if (now >= player.nextPingUs) {
      player.pingId = (player.pingId + 1) >>> 0;
      player.outstandingPings.set(player.pingId, clientNow);
      if (player.outstandingPings.size > 16) player.outstandingPings.delete(player.outstandingPings.keys().next().value as number);
      messages.push({ type: "ping", fields: { pingId: player.pingId } });
      player.nextPingUs = now + config.pingIntervalMs * 1000;
    }
    if (player.pendingChat === null && now >= player.nextChatUs) {
      player.chatEventId = (player.chatEventId + 1) & 0xffff;
      player.pendingChat = { eventId: player.chatEventId, text: random.pick(CHAT_LINES), lastSentSequence: -1, lastSentUs: -Infinity, sendCount: 0 };
      player.nextChatUs = now + random.exponential(90e6);
    }
    if (player.pendingChat !== null && now - player.pendingChat.lastSentUs >= RELIABLE_RESEND_US) {
      const chat = player.pendingChat;
      messages.push({ type: "chat", fields: { eventId: chat.eventId, resendCount: Math.min(chat.sendCount, 255), playerId: player.id, text: chat.text } });
      chat.lastSentUs = now;
      chat.sendCount++;
    }
    let shot: ArenaMessage | null = null;
    // No shot before the first snapshot: the client has not seen the world yet.
    if (now >= player.nextShotUs && player.health > 0 && player.lastSnapshotServerSendUs > 0) {
      const rewind = player.cheat("rewindAbuse", now);
      let targetServerUs = player.lastSnapshotServerSendUs - INTERPOLATION_DELAY_US;
      if (rewind !== undefined) targetServerUs -= (config.lagCompensationWindowMs + rewind.intensity) * 1000;
      player.shotId = (player.shotId + 1) & 0xffff;
      shot = {
        type: "shot",
        fields: {
          shotId: player.shotId,
          weapon: player.id % ARENA_LIMITS.weapons,
          targetTimeUs: Math.max(0, Math.round(targetServerUs)),
          x: player.seenX,
          y: player.seenY,
          z: player.seenZ,
          aimYaw: player.aimYaw,
          aimPitch: player.aimPitch,
        },
      };
      player.nextShotUs = bot !== undefined ? now + 1e6 / Math.max(config.shotsPerSecond, 0.01) : now + random.exponential(1e6 / Math.max(config.shotsPerSecond, 1e-6));
    }
    const fakeLatency = player.cheat("fakeLatency", now);
    if (shot !== null && fakeLatency === undefined) messages.push(shot);
    this.sendClientDatagram(player, now, clientNow, messages, null, 0);
    if (shot !== null && fakeLatency !== undefined) {
      this.sendClientDatagram(player, now, clientNow, [shot], "fakeLatency", fakeLatency.intensity * 1000);
    }
    // Next input time.
    let interval = this.inputIntervalUs;
    if (speedhack !== undefined) interval /= speedhack.intensity;
    if (flooding !== undefined) interval /= flooding.intensity;
    if (bot === undefined) interval = clamp(interval * (1 + random.normal(0, 0.08)), interval * 0.5, interval * 1.5);
    this.queue.push(event, now + interval);
  }

  private sendClientDatagram(player: Player, now: number, clientNow: number, messages: ArenaMessage[], cheat: CheatKind | null, extraHoldUs: number): void {
    const sequence = player.clientSequence;
    player.clientSequence = (player.clientSequence + 1) & 0xffff;
    const datagram: ArenaDatagram = {
      header: { sequence, ack: player.clientLatest < 0 ? 0 : player.clientLatest, ackBits: player.clientBits, sendTimeUs: Math.floor(clientNow) % ARENA_LIMITS.sendTimeModulus },
      messages,
    };
    for (const message of messages) {
      if (message.type === "chat" && player.pendingChat !== null) player.pendingChat.lastSentSequence = sequence;
    }
    let forged = false;
    let cheatKind = cheat;
    const tampering = player.cheat("tampering", now);
    if (tampering !== undefined && player.random.next() < tampering.intensity) {
      cheatKind = "tampering";
      const variant = player.random.integer(0, 2);
      const shot = messages.find((message) => message.type === "shot");
      if (variant === 0 && shot !== undefined && shot.type === "shot") {
        shot.fields.weapon = 9; // not in the definition's enum
      } else if (variant === 1) {
        datagram.header.protocolId = (ARENA_FORGED_PROTOCOL_ID + player.id) >>> 0; // forged header
        forged = true;
      } else {
        const input = messages[0];
        if (input.type === "input") input.fields.reportedRttMs = 60000; // above the definition's max 10000
      }
    }
    const payload = this.encoder.encodeDatagram(datagram, player.upStream);
    let departUs = now + extraHoldUs;
    const lagSwitch = player.cheat("lagSwitch", now);
    if (lagSwitch !== undefined) {
      const holdUs = lagSwitch.intensity * 1e6;
      const periodUs = holdUs * 4;
      const phase = (now - lagSwitch.startUs) % periodUs;
      if (phase < holdUs) {
        departUs = Math.max(departUs, now - phase + holdUs);
        cheatKind ??= "lagSwitch";
      }
    }
    if (player.recordsReplays) {
      const entry: ReplayEntry = { payload, datagram, sentUs: now };
      if (player.replayBuffer.length < 128) player.replayBuffer.push(entry);
      else player.replayBuffer[sequence % 128] = entry;
    }
    this.launchClientPacket(player, now, departUs, datagram, payload, forged, cheatKind, extraHoldUs > 0);
  }

  private launchClientPacket(
    player: Player,
    now: number,
    departUs: number,
    datagram: ArenaDatagram,
    payload: Uint8Array,
    forged: boolean,
    cheat: CheatKind | null,
    exemptFromOrder: boolean,
  ): void {
    if (player.captured && this.clientCapture !== undefined) {
      this.clientCapture.writeUdp(this.clientCaptureTime(now), player.endpoint, player.region.endpoint, payload, 64);
    }
    const wireBytes = payload.length + (player.endpoint.ipVersion === 4 ? 42 : 62);
    const result = this.transmit;
    // A cheat-delayed datagram must not hold back the honest ones sent during its hold.
    player.upPath.transmit(departUs, wireBytes, result, exemptFromOrder);
    this.summary.sentClientToServer++;
    const truth: PacketTruth = {
      id: this.packetSerial++,
      playerId: player.id,
      direction: "clientToServer",
      sequence: datagram.header.sequence,
      messageTypes: datagram.messages.map((message) => message.type),
      payloadBytes: payload.length,
      sendUs: now,
      departUs,
      arrivalUs: result.lost === null ? result.arrivalUs : null,
      lost: result.lost,
      queueDelayUs: result.queueDelayUs,
      serverCaptureIndex: null,
      duplicate: false,
      reordered: result.reordered,
      networkEventId: result.eventId >= 0 ? result.eventId : null,
      cheat,
    };
    this.summary.packets++;
    const packet: SimPacket = { truth, player, datagram, payload, ignoredByServer: forged };
    if (result.lost !== null) {
      this.summary.lostClientToServer++;
      if (this.truth.active) this.truth.packet(truth);
      return;
    }
    const arrival = this.newEvent(EVENT_ARRIVE_SERVER, player, null, packet);
    this.queue.push(arrival, result.arrivalUs);
    if (!Number.isNaN(result.duplicateArrivalUs)) {
      const copy: SimPacket = { truth: { ...truth, id: this.packetSerial++, arrivalUs: result.duplicateArrivalUs, duplicate: true }, player, datagram, payload, ignoredByServer: true };
      this.summary.packets++;
      const duplicate = this.newEvent(EVENT_ARRIVE_SERVER, player, null, copy);
      duplicate.index = 1;
      this.queue.push(duplicate, result.duplicateArrivalUs);
    }
  }

  private replay(event: SimEvent, now: number): void {
    const player = event.player as Player;
    const cheat = player.cheats.find((candidate) => candidate.kind === "replay") as ActiveCheat;
    if (now >= cheat.startUs && now < cheat.endUs) {
      let entry: ReplayEntry | undefined;
      for (let attempt = 0; attempt < 8 && entry === undefined; attempt++) {
        const candidate = player.replayBuffer.length === 0 ? undefined : player.random.pick(player.replayBuffer);
        if (candidate !== undefined && now - candidate.sentUs >= 500_000) entry = candidate;
      }
      if (entry !== undefined) {
        // The replayed bytes are the old datagram, unchanged; the server discards it as stale.
        this.launchClientPacket(player, now, now, entry.datagram, entry.payload, true, "replay", false);
      }
    }
    if (now < cheat.endUs) this.queue.push(event, now + player.random.exponential(1e6 / cheat.intensity));
  }

  private clientCaptureTime(trueUs: number): number {
    return trueUs + this.clientClockOffsetUs + (trueUs - this.config.startUs) * this.clientClockDrift;
  }

  private serverClockCaptureTime(trueUs: number): number {
    return trueUs + this.serverClockOffsetUs + (trueUs - this.config.startUs) * this.serverClockDrift;
  }

  private arriveClient(packet: SimPacket, now: number, duplicate: boolean): void {
    const player = packet.player;
    if (player.captured && this.clientCapture !== undefined) {
      this.clientCapture.writeUdp(this.clientCaptureTime(now), player.region.endpoint, player.endpoint, packet.payload, 64 - player.hops);
    }
    if (duplicate) return;
    const header = packet.datagram.header;
    for (const message of packet.datagram.messages) {
      if (message.type === "stateReset") {
        player.clientLatest = -1;
        player.clientBits = 0;
        player.clientSequence = 0;
      }
    }
    [player.clientLatest, player.clientBits] = ackState(player.clientLatest, player.clientBits, header.sequence);
    if (player.pendingChat !== null && player.pendingChat.lastSentSequence >= 0 && isAcked(header.ack, header.ackBits, player.pendingChat.lastSentSequence)) {
      player.pendingChat = null;
    }
    const clientNow = player.clientClock(now);
    for (const message of packet.datagram.messages) {
      if (message.type === "snapshot") {
        player.lastSnapshotServerSendUs = header.sendTimeUs;
        const own = message.fields.entities[0];
        if (own !== undefined && own.entityId === player.id) {
          player.seenX = own.x;
          player.seenY = own.y;
          player.seenZ = own.z;
        }
      } else if (message.type === "pong") {
        const sentAt = player.outstandingPings.get(message.fields.pingId);
        if (sentAt !== undefined) {
          player.outstandingPings.delete(message.fields.pingId);
          const rttMs = Math.max(0, (clientNow - sentAt - message.fields.processingUs) / 1000);
          player.smoothedRttMs = player.smoothedRttMs < 0 ? rttMs : player.smoothedRttMs * 0.875 + rttMs * 0.125;
        }
      }
    }
  }

  // ---------------------------------------------------------------- server side
  private serverClock(region: Region, trueUs: number): number {
    return Math.floor(region.clockEpochUs + (trueUs - this.config.startUs));
  }

  private writeServerSide(tUs: number, source: UdpEndpoint, destination: UdpEndpoint, payload: Uint8Array, ttl: number): number {
    let index = -1;
    if (this.mainCapture !== undefined) {
      index = this.mainCapture.packetCount;
      this.mainCapture.writeUdp(tUs, source, destination, payload, ttl);
    } else {
      index = this.summary.serverCapturePackets;
    }
    this.summary.serverCapturePackets++;
    this.serverCapture?.writeUdp(this.serverClockCaptureTime(tUs), source, destination, payload, ttl);
    return index;
  }

  private arriveServer(packet: SimPacket, now: number, duplicate: boolean): void {
    const player = packet.player;
    const region = player.region;
    packet.truth.serverCaptureIndex = this.writeServerSide(now, player.endpoint, region.endpoint, packet.payload, 64 - player.hops);
    if (this.truth.active) this.truth.packet(packet.truth);
    if (duplicate || packet.ignoredByServer) return;
    const header = packet.datagram.header;
    [player.serverLatest, player.serverBits] = ackState(player.serverLatest, player.serverBits, header.sequence);
    if (player.pendingReliable.length > 0) {
      player.pendingReliable = player.pendingReliable.filter((pending) => pending.lastSentSequence < 0 || !isAcked(header.ack, header.ackBits, pending.lastSentSequence));
    }
    for (const message of packet.datagram.messages) {
      switch (message.type) {
        case "input":
          this.applyInput(player, message.fields.inputSequence, message.fields.inputs, now);
          player.lastReportedRttMs = message.fields.reportedRttMs;
          if (now - player.lastRttLogUs >= 1e6) {
            player.lastRttLogUs = now;
            this.logLine({ tUs: now, type: "rtt", region: region.name, playerId: player.id, client: `${player.endpoint.address}:${player.endpoint.port}`, reportedRttMs: message.fields.reportedRttMs });
          }
          break;
        case "ping":
          player.pendingPongs.push({ pingId: message.fields.pingId, arrivalUs: now });
          break;
        case "shot":
          this.processShot(player, now);
          break;
        case "chat":
          if (message.fields.eventId !== player.lastChatEventSeen) {
            player.lastChatEventSeen = message.fields.eventId;
            this.logLine({ tUs: now, type: "chat", region: region.name, playerId: player.id, text: message.fields.text });
            for (const neighbor of this.neighbors(player)) {
              this.queueReliable(neighbor, { type: "chat", fields: { eventId: 0, resendCount: 0, playerId: player.id, text: message.fields.text } });
            }
          }
          break;
        default:
          break;
      }
    }
  }

  private applyInput(player: Player, inputSequence: number, frames: ArenaInputFrame[], now: number): void {
    const speed = player.cheat("speed", now);
    const step = (this.config.maxSpeed * (speed === undefined ? 1 : speed.intensity)) / this.config.inputRate;
    // Frames are newest first: apply the unprocessed ones oldest first.
    for (let index = frames.length - 1; index >= 0; index--) {
      const sequence = inputSequence - index;
      if (sequence <= player.lastProcessedInput) continue;
      const frame = frames[index];
      if (player.health > 0) {
        const length = Math.hypot(frame.moveX, frame.moveY);
        const scale = length > 1 ? step / length : step;
        player.x = clamp(player.x + frame.moveX * scale, -2000, 2000);
        player.y = clamp(player.y + frame.moveY * scale, -2000, 2000);
      }
      player.aimYaw = frame.aimYaw;
      player.lastProcessedInput = sequence;
    }
  }

  private neighbors(player: Player): Player[] {
    if (player.neighborCache !== null) return player.neighborCache;
    const list = player.region.players;
    const count = Math.min(list.length, this.config.entitiesPerSnapshot);
    const result: Player[] = [];
    for (let offset = 1; result.length < count - 1 && offset < list.length; offset++) {
      const forward = list[(player.regionIndex + offset) % list.length];
      if (forward !== player && !result.includes(forward)) result.push(forward);
      if (result.length >= count - 1) break;
      const backward = list[(player.regionIndex - offset + list.length * 2) % list.length];
      if (backward !== player && !result.includes(backward)) result.push(backward);
    }
    player.neighborCache = result;
    return result;
  }

  private processShot(player: Player, now: number): void {
    const random = player.random;
    if (random.next() >= KILL_PROBABILITY) return;
    const candidates = this.neighbors(player).filter((neighbor) => neighbor.health > 0);
    if (candidates.length === 0) return;
    const victim = random.pick(candidates);
    victim.health = 0;
    victim.respawnAtUs = now + RESPAWN_US;
    const region = player.region;
    this.logLine({ tUs: now, type: "death", region: region.name, tick: region.tick, victimPlayerId: victim.id, killerPlayerId: player.id });
    const weapon = player.id % ARENA_LIMITS.weapons;
    for (const recipient of [victim, ...this.neighbors(victim)]) {
      this.queueReliable(recipient, { type: "death", fields: { eventId: 0, resendCount: 0, tick: region.tick, victimPlayerId: victim.id, killerPlayerId: player.id, weapon } });
    }
  }

  private queueReliable(player: Player, message: ArenaMessage): void {
    if (player.pendingReliable.length >= 32) player.pendingReliable.shift();
    player.serverEventId = (player.serverEventId + 1) & 0xffff;
    (message.fields as { eventId: number }).eventId = player.serverEventId;
    player.pendingReliable.push({ message, lastSentSequence: -1, lastSentUs: -Infinity, sendCount: 0 });
  }

  private serverTick(event: SimEvent, now: number): void {
    const region = event.region as Region;
    const config = this.config;
    region.tick = (region.tick + 1) >>> 0;
    this.summary.ticks++;
    for (const rollback of region.rollbacks) {
      if (rollback.atUs > region.lastTickUs && rollback.atUs <= now) {
        region.tick = Math.max(1, region.tick - rollback.ticks);
        this.truth.serverEvent({ region: region.name, type: "rollback", startUs: now, endUs: now, tick: region.tick });
        this.logLine({ tUs: now, type: "rollback", region: region.name, tick: region.tick, ticks: rollback.ticks });
      }
    }
    const dtUs = now - region.lastTickUs;
    region.lastTickUs = now;
    this.logLine({ tUs: now, type: "tick", region: region.name, tick: region.tick, frameMs: Math.round(dtUs) / 1000 });
    const dtSeconds = dtUs / 1e6;
    for (const player of region.players) {
      if (player.health === 0 && now >= player.respawnAtUs) {
        player.health = 100;
        player.respawnAtUs = Infinity;
        player.x = player.random.uniform(-1500, 1500);
        player.y = player.random.uniform(-1500, 1500);
        player.lastTickX = player.x;
        player.lastTickY = player.y;
        for (const recipient of [player, ...this.neighbors(player)]) {
          this.queueReliable(recipient, { type: "spawn", fields: { eventId: 0, resendCount: 0, tick: region.tick, entityId: player.id, playerId: player.id, x: player.x, y: player.y, z: player.z } });
        }
        this.logLine({ tUs: now, type: "spawn", region: region.name, tick: region.tick, playerId: player.id });
      }
      if (now >= player.nextTeleportUs) {
        const teleport = player.cheat("teleport", now);
        if (teleport !== undefined) {
          const angle = player.random.uniform(0, TWO_PI);
          player.x = clamp(player.x + Math.cos(angle) * teleport.intensity, -2000, 2000);
          player.y = clamp(player.y + Math.sin(angle) * teleport.intensity, -2000, 2000);
          player.nextTeleportUs = now + player.random.exponential(2e6);
        } else {
          player.nextTeleportUs = Infinity;
        }
      }
      if (dtSeconds > 0) {
        player.velocityX = clamp((player.x - player.lastTickX) / dtSeconds, -ARENA_LIMITS.velocity, ARENA_LIMITS.velocity);
        player.velocityY = clamp((player.y - player.lastTickY) / dtSeconds, -ARENA_LIMITS.velocity, ARENA_LIMITS.velocity);
      }
      player.lastTickX = player.x;
      player.lastTickY = player.y;
      player.entitySnapshot = null;
    }
    if (now >= region.nextSnapshotUs) {
      region.snapshotDue = true;
      const snapshotIntervalUs = 1e6 / config.snapshotRate;
      region.nextSnapshotUs += snapshotIntervalUs;
      if (region.nextSnapshotUs <= now) region.nextSnapshotUs = now + snapshotIntervalUs * 0.5;
    } else {
      region.snapshotDue = false;
    }
    const send = this.newEvent(EVENT_SERVER_SEND, null, region, null);
    send.index = 0;
    send.baseUs = now;
    this.serverSend(send, now);
    // Next tick: frame-time noise, random and scheduled stalls.
    let interval = this.tickIntervalUs;
    if (config.serverTick.frameTimeNoiseMs > 0) interval += this.random.normal(0, config.serverTick.frameTimeNoiseMs * 1000);
    interval = Math.max(this.tickIntervalUs * 0.25, interval);
    let stallUs = 0;
    if (config.serverTick.stallProbability > 0 && this.random.next() < config.serverTick.stallProbability) stallUs = config.serverTick.stallMs * 1000;
    for (const stall of region.stalls) if (stall.atUs >= now && stall.atUs < now + interval) stallUs = Math.max(stallUs, stall.durationUs);
    if (stallUs > 0) {
      this.truth.serverEvent({ region: region.name, type: "stall", startUs: now, endUs: now + interval + stallUs, tick: region.tick });
      this.logLine({ tUs: now, type: "stall", region: region.name, tick: region.tick, durationMs: stallUs / 1000 });
    }
    this.queue.push(event, now + interval + stallUs);
  }

  private needsSend(player: Player, region: Region, now: number): boolean {
    if (region.snapshotDue || player.pendingPongs.length > 0 || player.fullSnapshotBurst) return true;
    for (const pending of player.pendingReliable) if (now - pending.lastSentUs >= RELIABLE_RESEND_US) return true;
    return false;
  }

  private serverSend(event: SimEvent, now: number): void {
    const region = event.region as Region;
    const players = region.players;
    const spacingUs = Math.min(2, (this.tickIntervalUs * 0.5) / Math.max(1, players.length));
    let index = event.index;
    while (index < players.length && !this.needsSend(players[index], region, now)) index++;
    if (index >= players.length) return;
    const sendAt = event.baseUs + index * spacingUs;
    if (sendAt > now) {
      event.index = index;
      this.queue.push(event, sendAt);
      return;
    }
    this.sendToPlayer(players[index], region, now);
    if (index + 1 < players.length) {
      event.index = index + 1;
      this.queue.push(event, Math.max(now, event.baseUs + (index + 1) * spacingUs));
    }
  }

  /** The entity's state as of the current tick (shared by every snapshot of the tick). */
  private entityState(player: Player): ArenaEntityState {
    if (player.entitySnapshot !== null) return player.entitySnapshot;
    return (player.entitySnapshot = {
      entityId: player.id,
      x: player.x,
      y: player.y,
      z: player.z,
      yaw: player.aimYaw,
      velocityX: player.velocityX,
      velocityY: player.velocityY,
      velocityZ: 0,
      health: player.health,
    });
  }

  private sendToPlayer(player: Player, region: Region, now: number): void {
    const messages: ArenaMessage[] = [];
    const serverNow = this.serverClock(region, now);
    if (region.snapshotDue || player.fullSnapshotBurst) {
      const entities = [this.entityState(player)];
      for (const neighbor of this.neighbors(player)) entities.push(this.entityState(neighbor));
      messages.push({ type: "snapshot", fields: { tick: region.tick, lastProcessedInputSequence: Math.max(0, player.lastProcessedInput), entities } });
    }
    for (const pong of player.pendingPongs) {
      messages.push({ type: "pong", fields: { pingId: pong.pingId, processingUs: Math.max(0, Math.round(now - pong.arrivalUs)) } });
    }
    player.pendingPongs.length = 0;
    for (const pending of player.pendingReliable) {
      if (now - pending.lastSentUs < RELIABLE_RESEND_US) continue;
      (pending.message.fields as { resendCount: number }).resendCount = Math.min(pending.sendCount, 255);
      messages.push({ type: pending.message.type, fields: { ...pending.message.fields } } as ArenaMessage);
      pending.lastSentUs = now;
      pending.lastSentSequence = player.serverSequence;
      pending.sendCount++;
      if (messages.length >= 24) break;
    }
    if (messages.length > 0) this.sendServerDatagram(player, region, now, serverNow, messages);
    if (player.fullSnapshotBurst) {
      player.fullSnapshotBurst = false;
      // The full state around the player: up to FULL_SNAPSHOT_MAX_ENTITIES entities, own first.
      const all = region.players;
      const count = Math.min(all.length, FULL_SNAPSHOT_MAX_ENTITIES);
      for (let start = 0; start < count; start += FULL_SNAPSHOT_ENTITIES) {
        const entities: ArenaEntityState[] = [];
        for (let offset = start; offset < Math.min(count, start + FULL_SNAPSHOT_ENTITIES); offset++) entities.push(this.entityState(all[(player.regionIndex + offset) % all.length]));
        this.sendServerDatagram(player, region, now, serverNow, [{ type: "snapshot", fields: { tick: region.tick, lastProcessedInputSequence: Math.max(0, player.lastProcessedInput), entities } }]);
      }
    }
  }

  private sendServerDatagram(player: Player, region: Region, now: number, serverNow: number, messages: ArenaMessage[]): void {
    const sequence = player.serverSequence;
    player.serverSequence = (player.serverSequence + 1) & 0xffff;
    const datagram: ArenaDatagram = {
      header: { sequence, ack: player.serverLatest < 0 ? 0 : player.serverLatest, ackBits: player.serverBits, sendTimeUs: serverNow % ARENA_LIMITS.sendTimeModulus },
      messages,
    };
    const payload = this.encoder.encodeDatagram(datagram, player.downStream);
    const captureIndex = this.writeServerSide(now, region.endpoint, player.endpoint, payload, 64);
    const result = this.transmit;
    player.downPath.transmit(now, payload.length + (player.endpoint.ipVersion === 4 ? 42 : 62), result);
    this.summary.sentServerToClient++;
    this.summary.packets++;
    const truth: PacketTruth = {
      id: this.packetSerial++,
      playerId: player.id,
      direction: "serverToClient",
      sequence,
      messageTypes: messages.map((message) => message.type),
      payloadBytes: payload.length,
      sendUs: now,
      departUs: now,
      arrivalUs: result.lost === null ? result.arrivalUs : null,
      lost: result.lost,
      queueDelayUs: result.queueDelayUs,
      serverCaptureIndex: captureIndex,
      duplicate: false,
      reordered: result.reordered,
      networkEventId: result.eventId >= 0 ? result.eventId : null,
      cheat: null,
    };
    if (this.truth.active) this.truth.packet(truth);
    if (result.lost !== null) {
      this.summary.lostServerToClient++;
      return;
    }
    // Keep the bytes in flight only when a client-side capture needs them (memory).
    const packet: SimPacket = { truth, player, datagram, payload: player.captured ? payload : EMPTY_PAYLOAD, ignoredByServer: false };
    this.queue.push(this.newEvent(EVENT_ARRIVE_CLIENT, player, null, packet), result.arrivalUs);
    if (!Number.isNaN(result.duplicateArrivalUs) && player.captured) {
      const duplicate = this.newEvent(EVENT_ARRIVE_CLIENT, player, null, packet);
      duplicate.index = 1;
      this.queue.push(duplicate, result.duplicateArrivalUs);
    }
  }

  private stateReset(region: Region, now: number, reason: number): void {
    this.truth.serverEvent({ region: region.name, type: "stateReset", startUs: now, endUs: now, tick: region.tick });
    this.logLine({ tUs: now, type: "stateReset", region: region.name, tick: region.tick, reason });
    for (const player of region.players) {
      player.serverSequence = 0;
      player.serverLatest = -1;
      player.serverBits = 0;
      player.pendingReliable.length = 0;
      this.queueReliable(player, { type: "stateReset", fields: { eventId: 0, resendCount: 0, tick: region.tick, reason } });
      player.fullSnapshotBurst = true;
    }
  }
}
