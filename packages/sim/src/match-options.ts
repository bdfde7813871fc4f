import type { Direction } from "@tickscope/core";
import { checkNumber, invalidOption } from "./errors.js";
import type { GeoPoint } from "./geography.js";
import type { NetworkEventKind } from "./network-path.js";
import { resolveProfile, type NetworkProfile } from "./profiles.js";

/** Cheat kinds the simulator can inject. */
export const CHEAT_KINDS = [
  "speedhack",
  "lagSwitch",
  "tampering",
  "replay",
  "fakeLatency",
  "rewindAbuse",
  "teleport",
  "speed",
  "inputFlooding",
  "botTiming",
] as const;

/** One cheat kind. */
export type CheatKind = (typeof CHEAT_KINDS)[number];

/**
 * Default intensity per cheat kind, and its meaning:
 * - `speedhack`: client clock rate factor (1.05–2);
 * - `lagSwitch`: hold duration in seconds (0.2–3), repeated every 4 × hold;
 * - `tampering`: fraction of the cheater's datagrams tampered (out-of-range fields / forged protocol id);
 * - `replay`: replayed old datagrams per second;
 * - `fakeLatency`: extra delay of shot datagrams, ms (pings/RTT reports stay honest and low);
 * - `rewindAbuse`: how far beyond the lag-compensation window `targetTimeUs` reaches, ms;
 * - `teleport`: jump distance in game units (about one jump per 2 s);
 * - `speed`: movement speed as a multiple of the maximum speed;
 * - `inputFlooding`: datagram rate multiple of the input rate;
 * - `botTiming`: 1 = perfectly regular input timing (no frame-time jitter) and fixed-interval shots.
 */
export const CHEAT_DEFAULT_INTENSITY: Readonly<Record<CheatKind, number>> = {
  speedhack: 1.3,
  lagSwitch: 1,
  tampering: 0.05,
  replay: 2,
  fakeLatency: 150,
  rewindAbuse: 300,
  teleport: 200,
  speed: 2.5,
  inputFlooding: 8,
  botTiming: 1,
};

const CHEAT_INTENSITY_LIMITS: Readonly<Record<CheatKind, readonly [number, number]>> = {
  speedhack: [1.01, 4],
  lagSwitch: [0.05, 10],
  tampering: [0, 1],
  replay: [0.01, 100],
  fakeLatency: [1, 5000],
  rewindAbuse: [1, 60000],
  teleport: [1, 4000],
  speed: [1.01, 20],
  inputFlooding: [1.5, 50],
  botTiming: [0, 1],
};

/** A cheat on one player (times relative to the match start). */
export interface CheatSpec {
  /** Player id (0-based). */
  playerId: number;
  /** Cheat kind. */
  kind: CheatKind;
  /** Start, ms after the match start (default 0). */
  startMs?: number;
  /** End, ms after the match start (default: match end). */
  endMs?: number;
  /** Intensity (see {@link CHEAT_DEFAULT_INTENSITY}). */
  intensity?: number;
}

/** A server region. */
export interface RegionSpec extends Partial<GeoPoint> {
  /** Region name, e.g. `eu-west`. */
  name: string;
  /** Server IP address (default generated). */
  serverAddress?: string;
  /** Server UDP port (default 7777). */
  serverPort?: number;
  /** Relative share of players whose home is this region (default 1). */
  playerShare?: number;
}

/** Who a scheduled network event hits: nobody-specified = every player (a shared-path event). */
export interface NetworkEventScope {
  /** Player ids hit. */
  playerIds?: number[];
  /** Region whose players are hit. */
  region?: string;
  /** Fraction (0–1) of the selected players hit, chosen deterministically (default 1). */
  fraction?: number;
}

/** A scheduled network event (times relative to the match start). */
export interface NetworkEventSpec extends NetworkEventScope {
  /** Kind. */
  kind: NetworkEventKind;
  /** Start, ms after the match start. */
  startMs: number;
  /** Duration, ms (route changes without a duration are permanent). */
  durationMs?: number;
  /** Extra one-way delay for `latencySpike` / `routeChange`, ms. */
  extraDelayMs?: number;
  /** Competing traffic for `crossTraffic`, bits per second. */
  bitsPerSecond?: number;
  /** Loss probability for `lossBurst` (default 0.5). */
  lossProbability?: number;
  /** Directions hit (default both). */
  direction?: Direction | "both";
}

/** Server frame-time model. */
export interface ServerTickOptions {
  /** Standard deviation of the tick interval, ms (default 0.5). */
  frameTimeNoiseMs?: number;
  /** Probability per tick of a random stall (default 0). */
  stallProbability?: number;
  /** Duration of random stalls, ms (default 100). */
  stallMs?: number;
  /** Scheduled stalls. */
  stalls?: { atMs: number; durationMs: number; region?: string }[];
}

/** Options of a simulated match; every name maps to a `tickscope simulate` flag. */
export interface MatchOptions {
  /** PRNG seed (`--seed`). Same seed, same options ⇒ byte-identical outputs. */
  seed: number | string;
  /** Number of players, 1–5000 (`--players`). */
  players: number;
  /** Match duration, ms (`--duration`). */
  durationMs: number;
  /** Server tick rate, Hz (`--tick`, default 60). */
  tickRate?: number;
  /** Client input (datagram) rate, Hz (default = tick rate). */
  inputRate?: number;
  /** Snapshot rate, Hz (default min(tick rate, 30)). */
  snapshotRate?: number;
  /** Network profile of every player: built-in name, JSON document or profile (`--profile`, default `cable`). */
  profile?: string | NetworkProfile | Record<string, unknown>;
  /** Weighted profile mix instead of one profile, e.g. `{ "fibre": 3, "4g": 1 }`. */
  profileMix?: Record<string, number>;
  /** Server regions (`--regions regions.json`); default one region `eu-central` (Frankfurt). */
  regions?: RegionSpec[];
  /** Share of players connected to a server outside their home region (default 0.1 when several regions). */
  crossRegionShare?: number;
  /** Cheats (`--cheats cheats.json`), or a number of random cheaters. */
  cheats?: CheatSpec[] | number;
  /** Scheduled network events. */
  networkEvents?: NetworkEventSpec[];
  /** State resets (map changes): sequence reset + full snapshot burst. */
  stateResets?: { atMs: number; reason?: number; region?: string }[];
  /** Server rollbacks: the tick counter steps back `ticks` ticks (re-simulation after late input). */
  rollbacks?: { atMs: number; ticks: number; region?: string }[];
  /** Server frame-time model. */
  serverTick?: ServerTickOptions;
  /** Match start, µs since the epoch (default 2026-01-01T00:00:00Z). */
  startUs?: number;
  /** IP version of the traffic (default 4). */
  ipVersion?: 4 | 6;
  /** Entities per snapshot, 1–128 (default 16). */
  entitiesPerSnapshot?: number;
  /** Redundant input frames per input message, 1–16 (default 3). */
  inputRedundancy?: number;
  /** Ping interval, ms (default 1000). */
  pingIntervalMs?: number;
  /** Mean shots per second per player (default 0.5). */
  shotsPerSecond?: number;
  /**
   * Lag-compensation window the server honours, ms (default 500; recorded in the truth). An honest
   * shot rewinds ≈ RTT + 100 ms interpolation + snapshot age; `rewindAbuse` reaches window + intensity beyond that.
   */
  lagCompensationWindowMs?: number;
  /** Maximum honest movement speed, units/s (default 8). */
  maxSpeed?: number;
}

/** Match options with every default filled in. */
export interface NormalizedMatchOptions {
  seed: number | string;
  players: number;
  durationMs: number;
  tickRate: number;
  inputRate: number;
  snapshotRate: number;
  profiles: NetworkProfile[];
  profileWeights: number[];
  regions: Required<Pick<RegionSpec, "name" | "latitude" | "longitude" | "serverAddress" | "serverPort" | "playerShare">>[];
  crossRegionShare: number;
  cheats: CheatSpec[] | number;
  networkEvents: NetworkEventSpec[];
  stateResets: { atMs: number; reason: number; region?: string }[];
  rollbacks: { atMs: number; ticks: number; region?: string }[];
  serverTick: Required<ServerTickOptions>;
  startUs: number;
  ipVersion: 4 | 6;
  entitiesPerSnapshot: number;
  inputRedundancy: number;
  pingIntervalMs: number;
  shotsPerSecond: number;
  lagCompensationWindowMs: number;
  maxSpeed: number;
}

/** Default match start: 2026-01-01T00:00:00Z in µs. */
export const DEFAULT_START_US = 1_767_225_600_000_000;

const DEFAULT_REGION: RegionSpec = { name: "eu-central", latitude: 50.11, longitude: 8.68 };

function regionServerAddress(index: number, ipVersion: 4 | 6): string {
  return ipVersion === 4 ? `203.0.113.${10 + index}` : `2001:db8:a::${(index + 1).toString(16)}`;
}

/** Validates options and fills in defaults; throws `E_INVALID_OPTION` naming the bad option. */
export function normalizeMatchOptions(options: MatchOptions): NormalizedMatchOptions {
  if (typeof options !== "object" || options === null) invalidOption("options", "expected an object");
  const seed = options.seed;
  if (typeof seed !== "number" && typeof seed !== "string") invalidOption("seed", "expected a number or string");
  const players = checkNumber("players", options.players, 1, 5000);
  if (!Number.isInteger(players)) invalidOption("players", "expected an integer");
  const durationMs = checkNumber("durationMs", options.durationMs, 1, 7 * 24 * 3600 * 1000);
  const tickRate = checkNumber("tickRate", options.tickRate ?? 60, 1, 1000);
  const inputRate = checkNumber("inputRate", options.inputRate ?? tickRate, 1, 1000);
  const snapshotRate = checkNumber("snapshotRate", options.snapshotRate ?? Math.min(tickRate, 30), 0.1, tickRate);
  const ipVersion = options.ipVersion ?? 4;
  if (ipVersion !== 4 && ipVersion !== 6) invalidOption("ipVersion", "expected 4 or 6");
  let profiles: NetworkProfile[];
  let profileWeights: number[];
  if (options.profileMix !== undefined) {
    const names = Object.keys(options.profileMix).sort();
    if (names.length === 0) invalidOption("profileMix", "expected at least one profile");
    profiles = names.map((name) => resolveProfile(name));
    profileWeights = names.map((name) => checkNumber(`profileMix.${name}`, options.profileMix?.[name], 0, 1e9));
    if (profileWeights.every((weight) => weight === 0)) invalidOption("profileMix", "all weights are zero");
  } else {
    profiles = [resolveProfile(options.profile ?? "cable")];
    profileWeights = [1];
  }
  const regionSpecs = options.regions === undefined || options.regions.length === 0 ? [DEFAULT_REGION] : options.regions;
  const regionNames = new Set<string>();
  const regions = regionSpecs.map((region, index) => {
    if (typeof region?.name !== "string" || region.name.length === 0) invalidOption(`regions[${index}].name`, "expected a name");
    if (regionNames.has(region.name)) invalidOption(`regions[${index}].name`, `duplicate region ${region.name}`);
    regionNames.add(region.name);
    return {
      name: region.name,
      latitude: checkNumber(`regions[${index}].latitude`, region.latitude ?? 50.11, -90, 90),
      longitude: checkNumber(`regions[${index}].longitude`, region.longitude ?? 8.68, -180, 180),
      serverAddress: region.serverAddress ?? regionServerAddress(index, ipVersion),
      serverPort: checkNumber(`regions[${index}].serverPort`, region.serverPort ?? 7777, 1, 65535),
      playerShare: checkNumber(`regions[${index}].playerShare`, region.playerShare ?? 1, 0, 1e9),
    };
  });
  if ((regions.some((region) => region.serverAddress.includes(":")) ? 6 : 4) !== ipVersion) {
    invalidOption("regions.serverAddress", `server addresses must be IPv${ipVersion}`);
  }
  const cheats = options.cheats ?? [];
  if (typeof cheats === "number") {
    checkNumber("cheats", cheats, 0, players);
  } else {
    if (!Array.isArray(cheats)) invalidOption("cheats", "expected an array of cheats or a number");
    cheats.forEach((cheat, index) => validateCheat(cheat, index, players, durationMs));
  }
  const networkEvents = options.networkEvents ?? [];
  networkEvents.forEach((event, index) => validateNetworkEvent(event, index, regionNames));
  const stateResets = (options.stateResets ?? []).map((reset, index) => {
    checkNumber(`stateResets[${index}].atMs`, reset.atMs, 0, durationMs);
    if (reset.region !== undefined && !regionNames.has(reset.region)) invalidOption(`stateResets[${index}].region`, `unknown region ${reset.region}`);
    const reason = checkNumber(`stateResets[${index}].reason`, reset.reason ?? 0, 0, 2);
    return reset.region === undefined ? { atMs: reset.atMs, reason } : { atMs: reset.atMs, reason, region: reset.region };
  });
  const rollbacks = (options.rollbacks ?? []).map((rollback, index) => {
    checkNumber(`rollbacks[${index}].atMs`, rollback.atMs, 0, durationMs);
    const ticks = checkNumber(`rollbacks[${index}].ticks`, rollback.ticks, 1, 1000);
    if (rollback.region !== undefined && !regionNames.has(rollback.region)) invalidOption(`rollbacks[${index}].region`, `unknown region ${rollback.region}`);
    return { ...rollback, ticks: Math.round(ticks) };
  });
  const serverTickInput = options.serverTick ?? {};
  const serverTick: Required<ServerTickOptions> = {
    frameTimeNoiseMs: checkNumber("serverTick.frameTimeNoiseMs", serverTickInput.frameTimeNoiseMs ?? 0.5, 0, 1000),
    stallProbability: checkNumber("serverTick.stallProbability", serverTickInput.stallProbability ?? 0, 0, 1),
    stallMs: checkNumber("serverTick.stallMs", serverTickInput.stallMs ?? 100, 0, 60000),
    stalls: (serverTickInput.stalls ?? []).map((stall, index) => {
      checkNumber(`serverTick.stalls[${index}].atMs`, stall.atMs, 0, durationMs);
      checkNumber(`serverTick.stalls[${index}].durationMs`, stall.durationMs, 0, 600000);
      if (stall.region !== undefined && !regionNames.has(stall.region)) invalidOption(`serverTick.stalls[${index}].region`, `unknown region ${stall.region}`);
      return { ...stall };
    }),
  };
  return {
    seed,
    players,
    durationMs,
    tickRate,
    inputRate,
    snapshotRate,
    profiles,
    profileWeights,
    regions,
    crossRegionShare: checkNumber("crossRegionShare", options.crossRegionShare ?? (regions.length > 1 ? 0.1 : 0), 0, 1),
    cheats,
    networkEvents,
    stateResets,
    rollbacks,
    serverTick,
    startUs: checkNumber("startUs", options.startUs ?? DEFAULT_START_US, 0, 2 ** 52),
    ipVersion,
    entitiesPerSnapshot: Math.round(checkNumber("entitiesPerSnapshot", options.entitiesPerSnapshot ?? 16, 1, 128)),
    inputRedundancy: Math.round(checkNumber("inputRedundancy", options.inputRedundancy ?? 3, 1, 16)),
    pingIntervalMs: checkNumber("pingIntervalMs", options.pingIntervalMs ?? 1000, 10, 3600000),
    shotsPerSecond: checkNumber("shotsPerSecond", options.shotsPerSecond ?? 0.5, 0, 100),
    lagCompensationWindowMs: checkNumber("lagCompensationWindowMs", options.lagCompensationWindowMs ?? 500, 0, 10000),
    maxSpeed: checkNumber("maxSpeed", options.maxSpeed ?? 8, 0.1, 60),
  };
}

function validateCheat(cheat: CheatSpec, index: number, players: number, durationMs: number): void {
  const path = `cheats[${index}]`;
  if (typeof cheat !== "object" || cheat === null) invalidOption(path, "expected an object");
  if (!CHEAT_KINDS.includes(cheat.kind)) invalidOption(`${path}.kind`, `expected one of ${CHEAT_KINDS.join(", ")}`);
  const playerId = checkNumber(`${path}.playerId`, cheat.playerId, 0, players - 1);
  if (!Number.isInteger(playerId)) invalidOption(`${path}.playerId`, "expected an integer");
  const startMs = checkNumber(`${path}.startMs`, cheat.startMs ?? 0, 0, durationMs);
  checkNumber(`${path}.endMs`, cheat.endMs ?? durationMs, startMs, Infinity);
  const [minimum, maximum] = CHEAT_INTENSITY_LIMITS[cheat.kind];
  if (cheat.intensity !== undefined) checkNumber(`${path}.intensity`, cheat.intensity, minimum, maximum);
}

const EVENT_KINDS: readonly NetworkEventKind[] = ["latencySpike", "outage", "routeChange", "crossTraffic", "lossBurst"];

function validateNetworkEvent(event: NetworkEventSpec, index: number, regions: Set<string>): void {
  const path = `networkEvents[${index}]`;
  if (typeof event !== "object" || event === null) invalidOption(path, "expected an object");
  if (!EVENT_KINDS.includes(event.kind)) invalidOption(`${path}.kind`, `expected one of ${EVENT_KINDS.join(", ")}`);
  checkNumber(`${path}.startMs`, event.startMs, 0, Infinity);
  if (event.durationMs !== undefined) checkNumber(`${path}.durationMs`, event.durationMs, 0, Infinity);
  else if (event.kind !== "routeChange") invalidOption(`${path}.durationMs`, "required for this kind");
  if (event.kind === "latencySpike" || event.kind === "routeChange") checkNumber(`${path}.extraDelayMs`, event.extraDelayMs, -10000, 60000);
  if (event.kind === "crossTraffic") checkNumber(`${path}.bitsPerSecond`, event.bitsPerSecond, 1, 1e12);
  if (event.lossProbability !== undefined) checkNumber(`${path}.lossProbability`, event.lossProbability, 0, 1);
  if (event.region !== undefined && !regions.has(event.region)) invalidOption(`${path}.region`, `unknown region ${event.region}`);
  if (event.fraction !== undefined) checkNumber(`${path}.fraction`, event.fraction, 0, 1);
  if (event.direction !== undefined && !["both", "clientToServer", "serverToClient"].includes(event.direction)) {
    invalidOption(`${path}.direction`, "expected clientToServer, serverToClient or both");
  }
}
