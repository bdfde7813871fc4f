import type { GameMessage, Session } from "@tickscope/core";
import type { GeoPoint } from "../geo.js";
import { createSeededRandom, type SeededRandom } from "../random.js";
import type { SessionSummary } from "../session-summary.js";

/** Known profile of one synthetic region (the injected truth). */
export interface SyntheticRegionProfile {
  name: string;
  sessions: number;
  /** Median of the sessions' median RTTs, ms (lognormal across sessions). */
  rttMedianMs: number;
  /** Lognormal sigma of session median RTTs. */
  rttSigma: number;
  /** Median of session jitter, ms. */
  jitterMedianMs: number;
  /** Mean loss rate. */
  lossRate: number;
  /** Mean loss-burst length, packets. */
  lossBurstMeanLength: number;
  /** Spike onsets per minute of play. */
  spikesPerMinute: number;
  /** Catalogue id of the region's server. */
  serverSite: string;
  /** Where the region's players are. */
  playerCenter: GeoPoint;
  playerRadiusKm: number;
}

/** Five regions with distinct, known profiles. Ranking by median RTT: eu-west, na-east, oceania, ap-southeast, sa-east. */
export const FIVE_REGIONS: readonly SyntheticRegionProfile[] = [
  { name: "na-east", sessions: 1200, rttMedianMs: 45, rttSigma: 0.3, jitterMedianMs: 4, lossRate: 0.005, lossBurstMeanLength: 1.2, spikesPerMinute: 0.2, serverSite: "aws:us-east-1", playerCenter: { latitude: 40.7, longitude: -80 }, playerRadiusKm: 900 },
  { name: "eu-west", sessions: 1200, rttMedianMs: 35, rttSigma: 0.3, jitterMedianMs: 3, lossRate: 0.005, lossBurstMeanLength: 1.2, spikesPerMinute: 0.2, serverSite: "aws:eu-west-2", playerCenter: { latitude: 50, longitude: 4 }, playerRadiusKm: 700 },
  { name: "ap-southeast", sessions: 1200, rttMedianMs: 70, rttSigma: 0.35, jitterMedianMs: 14, lossRate: 0.008, lossBurstMeanLength: 1.3, spikesPerMinute: 0.3, serverSite: "aws:ap-southeast-1", playerCenter: { latitude: 8, longitude: 110 }, playerRadiusKm: 1500 },
  { name: "sa-east", sessions: 1200, rttMedianMs: 90, rttSigma: 0.35, jitterMedianMs: 5, lossRate: 0.04, lossBurstMeanLength: 4, spikesPerMinute: 1.5, serverSite: "aws:sa-east-1", playerCenter: { latitude: -27, longitude: -52 }, playerRadiusKm: 1200 },
  { name: "oceania", sessions: 1200, rttMedianMs: 55, rttSigma: 0.3, jitterMedianMs: 5, lossRate: 0.006, lossBurstMeanLength: 1.2, spikesPerMinute: 0.2, serverSite: "aws:ap-southeast-2", playerCenter: { latitude: -34, longitude: 150 }, playerRadiusKm: 900 },
];

const Z95 = 1.6448536269514722;
const Z99 = 2.3263478740408408;

/** True percentiles of a profile's session median RTT distribution. */
export function truthOf(profile: SyntheticRegionProfile): { p50: number; p95: number; p99: number } {
  return {
    p50: profile.rttMedianMs,
    p95: profile.rttMedianMs * Math.exp(Z95 * profile.rttSigma),
    p99: profile.rttMedianMs * Math.exp(Z99 * profile.rttSigma),
  };
}

function poisson(random: SeededRandom, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
  const limit = Math.exp(-mean);
  let product = random.next();
  let count = 0;
  while (product > limit) {
    product *= random.next();
    count++;
  }
  return count;
}

/** A point uniformly distributed in a disk of `radiusKm` around `center`. */
export function pointNear(random: SeededRandom, center: GeoPoint, radiusKm: number): GeoPoint {
  const distance = radiusKm * Math.sqrt(random.next());
  const angle = 2 * Math.PI * random.next();
  const latitude = center.latitude + (distance * Math.cos(angle)) / 111.2;
  const longitude = center.longitude + (distance * Math.sin(angle)) / (111.2 * Math.cos((center.latitude * Math.PI) / 180));
  return { latitude: Math.max(-89, Math.min(89, latitude)), longitude: ((longitude + 540) % 360) - 180 };
}

/** Draws one session's truth (median RTT, jitter, loss, play time, location). */
function drawSession(random: SeededRandom, profile: SyntheticRegionProfile) {
  const rttP50Ms = profile.rttMedianMs * Math.exp(profile.rttSigma * random.normal());
  const jitterMs = profile.jitterMedianMs * Math.exp(0.3 * random.normal());
  const lossRate = Math.min(0.5, profile.lossRate * Math.exp(0.5 * random.normal() - 0.125));
  const playTimeMs = (10 + 20 * random.next()) * 60_000;
  const location = pointNear(random, profile.playerCenter, profile.playerRadiusKm);
  return { rttP50Ms, jitterMs, lossRate, playTimeMs, location };
}

/**
 * Deterministic per-session summaries for the given profiles (the input of
 * `compareRegions`), one player per session.
 */
export function generateSessionSummaries(profiles: readonly SyntheticRegionProfile[], seed: number): SessionSummary[] {
  const summaries: SessionSummary[] = [];
  for (const profile of profiles) {
    const random = createSeededRandom(`${seed}:${profile.name}`);
    for (let index = 0; index < profile.sessions; index++) {
      const truth = drawSession(random, profile);
      const packets = (truth.playTimeMs / 1000) * 20;
      const lost = truth.lossRate * packets;
      const bursts = Math.max(lost > 0 ? 1 : 0, Math.round(lost / profile.lossBurstMeanLength));
      summaries.push({
        sessionId: `${profile.name}-${String(index).padStart(5, "0")}`,
        region: profile.name,
        player: `${profile.name}-player-${index}`,
        rttMs: { p50: truth.rttP50Ms, p95: truth.rttP50Ms + 2 * truth.jitterMs, p99: truth.rttP50Ms + 3 * truth.jitterMs },
        jitterMs: truth.jitterMs,
        lossRate: truth.lossRate,
        lossBursts: { count: bursts, meanLength: bursts > 0 ? lost / bursts : 0, maxLength: Math.ceil(profile.lossBurstMeanLength * 3) },
        spikeCount: poisson(random, (profile.spikesPerMinute * truth.playTimeMs) / 60_000),
        playTimeMs: truth.playTimeMs,
        playerLocation: truth.location,
        serverSite: profile.serverSite,
        clientPrefix: `10.${index % 7}.${profile.name.length}.0/24`,
      });
    }
  }
  return summaries;
}

/** Options of {@link generateRegionMessages}. */
export interface MessageGenerationOptions {
  seed: number;
  /** Session length, s (default 60). */
  durationS?: number;
  /** Client ping interval, ms (default 250). */
  echoIntervalMs?: number;
  /** Server snapshot rate, Hz (default 20). */
  snapshotRateHz?: number;
  /** Client input rate, Hz (default 30; 0 for none). */
  inputRateHz?: number;
  /** Extra RTT added for this many echo samples on a spike (default 3 samples, +150 ms). */
  spikeSamples?: number;
}

/** Per-session truth of a generated message stream. */
export interface SessionTruth {
  sessionId: string;
  region: string;
  rttP50Ms: number;
  jitterMs: number;
  lossRate: number;
  lostSnapshots: number;
  sentSnapshots: number;
  spikes: number;
  location: GeoPoint;
}

/**
 * Deterministic message-level multi-region capture, as seen at the client:
 * ping requests (`echoPhase: request`) every `echoIntervalMs` answered one RTT
 * later, server snapshots with a 16-bit sequence lost by a Gilbert–Elliott
 * process (stationary loss = `lossRate`, mean burst = `lossBurstMeanLength`),
 * client inputs. Messages are sorted by time over all sessions.
 */
export function generateRegionMessages(
  profiles: readonly SyntheticRegionProfile[],
  options: MessageGenerationOptions,
): { sessions: Session[]; messages: GameMessage[]; truth: SessionTruth[] } {
  const durationUs = (options.durationS ?? 60) * 1e6;
  const echoIntervalUs = (options.echoIntervalMs ?? 250) * 1000;
  const snapshotIntervalUs = 1e6 / (options.snapshotRateHz ?? 20);
  const inputRate = options.inputRateHz ?? 30;
  const spikeSamples = options.spikeSamples ?? 3;
  const sessions: Session[] = [];
  const messages: GameMessage[] = [];
  const truth: SessionTruth[] = [];
  const startUs = 1_700_000_000_000_000;
  let regionIndex = 0;
  for (const profile of profiles) {
    const random = createSeededRandom(`${options.seed}:messages:${profile.name}`);
    for (let index = 0; index < profile.sessions; index++) {
      const sessionId = `${profile.name}-${String(index).padStart(5, "0")}`;
      const drawn = drawSession(random, profile);
      const sigma = drawn.jitterMs / 1.1283791670955126; // E|X1 − X2| = 2σ/√π
      const sessionStartUs = startUs + random.next() * 1e6;
      sessions.push({
        id: sessionId,
        transport: "udp",
        client: { address: `10.${regionIndex}.${index % 200}.${1 + (index % 250)}`, port: 40000 + index },
        server: { address: `192.0.2.${regionIndex + 1}`, port: 7777 },
        firstUs: sessionStartUs,
        lastUs: sessionStartUs + durationUs,
        clientToServer: { packets: 0, bytes: 0 },
        serverToClient: { packets: 0, bytes: 0 },
        region: profile.name,
        player: `${profile.name}-player-${index}`,
      });
      const push = (tUs: number, direction: GameMessage["direction"], type: string, roles: GameMessage["roles"]): void => {
        messages.push({ sessionId, direction, tUs, packetIndex: 0, indexInPacket: 0, type, byteLength: 32, packetWireLength: 74, fields: {}, roles });
      };
      const spikeProbability = (profile.spikesPerMinute * (echoIntervalUs / 1e6)) / 60;
      let spikeLeft = 0;
      let spikes = 0;
      let echo = 0;
      for (let tUs = sessionStartUs; tUs < sessionStartUs + durationUs; tUs += echoIntervalUs) {
        if (spikeLeft === 0 && random.next() < spikeProbability) {
          spikeLeft = spikeSamples;
          spikes++;
        }
        const extra = spikeLeft > 0 ? 150 : 0;
        if (spikeLeft > 0) spikeLeft--;
        const rttMs = Math.max(1, drawn.rttP50Ms + sigma * random.normal() + extra);
        const key = String(echo++);
        push(tUs, "clientToServer", "ping", { echoKey: key, echoPhase: "request" });
        push(tUs + rttMs * 1000, "serverToClient", "pong", { echoKey: key, echoPhase: "reply" });
      }
      const goodToBad = drawn.lossRate / (profile.lossBurstMeanLength * (1 - drawn.lossRate));
      const badToGood = 1 / profile.lossBurstMeanLength;
      let bad = false;
      let sequence = 0;
      let lost = 0;
      let sent = 0;
      for (let tUs = sessionStartUs + drawn.rttP50Ms * 500; tUs < sessionStartUs + durationUs; tUs += snapshotIntervalUs) {
        bad = bad ? random.next() >= badToGood : random.next() < goodToBad;
        sent++;
        if (bad) lost++;
        else push(tUs, "serverToClient", "snapshot", { sequence: sequence & 0xffff, sequenceBits: 16, channel: 0 });
        sequence++;
      }
      if (inputRate > 0) {
        let input = 0;
        for (let tUs = sessionStartUs; tUs < sessionStartUs + durationUs; tUs += 1e6 / inputRate) {
          push(tUs, "clientToServer", "input", { inputSequence: input++, inputCount: 3 });
        }
      }
      truth.push({
        sessionId,
        region: profile.name,
        rttP50Ms: drawn.rttP50Ms,
        jitterMs: drawn.jitterMs,
        lossRate: sent > 0 ? lost / sent : 0,
        lostSnapshots: lost,
        sentSnapshots: sent,
        spikes,
        location: drawn.location,
      });
    }
    regionIndex++;
  }
  messages.sort((left, right) => left.tUs - right.tUs || (left.sessionId < right.sessionId ? -1 : left.sessionId > right.sessionId ? 1 : 0));
  messages.forEach((message, index) => {
    message.packetIndex = index;
  });
  return { sessions, messages, truth };
}

/** Copies profiles with a different number of sessions each. */
export function withSessions(profiles: readonly SyntheticRegionProfile[], sessions: number): SyntheticRegionProfile[] {
  return profiles.map((profile) => ({ ...profile, sessions }));
}
