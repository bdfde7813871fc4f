import { runCapturePipeline } from "@tickscope/capture";
import type { GameMessage, MessageAnalyzer, Session } from "@tickscope/core";
import { compileProtocol } from "@tickscope/core/protocol";
import { ARENA_DEFINITION, simulateMatchToMemory } from "@tickscope/sim";
import { createSeededRandom } from "../random.js";

/** One event of a pass, in arrival order. */
export type MatchEvent = { kind: "session"; session: Session } | { kind: "message"; message: GameMessage };

/** A match's events as the pipeline delivered them, and each session's region (the CLI's context). */
export interface RecordedMatch {
  events: MatchEvent[];
  regionOf: Record<string, string>;
  sessionIds: string[];
  packets: number;
}

const REGIONS = [
  { name: "na-east", latitude: 39.04, longitude: -77.49 },
  { name: "eu-central", latitude: 50.11, longitude: 8.68 },
  { name: "ap-southeast", latitude: 1.35, longitude: 103.82 },
];

/**
 * Records a simulated match (@tickscope/sim, captured at the servers, decoded
 * with the arena protocol): every `onSession` and `onMessage` in arrival order
 * (messages deep-copied: the pipeline may reuse them).
 */
export async function recordSimulatedMatch(seed: number, players: number, durationMs: number): Promise<RecordedMatch> {
  const match = simulateMatchToMemory({ seed, players, durationMs, regions: REGIONS, crossRegionShare: 0.2 });
  const byAddress = new Map(match.truth.players.map((player) => [`${player.address}:${player.port}`, player.region]));
  const events: MatchEvent[] = [];
  const regionOf: Record<string, string> = {};
  let packets = 0;
  const recorder: MessageAnalyzer<null> = {
    name: "recorder",
    onSession(session: Session): void {
      const region = byAddress.get(`${session.client.address}:${session.client.port}`);
      if (region !== undefined) regionOf[session.id] = region;
      events.push({ kind: "session", session: structuredClone(session) });
    },
    onMessage(message: GameMessage): void {
      packets = Math.max(packets, message.packetIndex + 1);
      events.push({ kind: "message", message: structuredClone(message) });
    },
    finish: () => null,
  };
  await runCapturePipeline({ sources: [match.pcapng], decoder: compileProtocol(ARENA_DEFINITION as never, {}), analyzers: [recorder] });
  return { events, regionOf, sessionIds: [...new Set(events.map((event) => (event.kind === "session" ? event.session.id : event.message.sessionId)))].sort(), packets };
}

/** Feeds events (optionally only some sessions') to an analyzer. */
export function feed(analyzer: Pick<MessageAnalyzer<unknown>, "onSession" | "onMessage">, events: readonly MatchEvent[], keep?: ReadonlySet<string>): void {
  for (const event of events) {
    if (event.kind === "session") {
      if (keep === undefined || keep.has(event.session.id)) analyzer.onSession!(event.session);
    } else if (keep === undefined || keep.has(event.message.sessionId)) analyzer.onMessage(event.message);
  }
}

/** Splits session ids into `groups` random non-empty groups (seeded). */
export function splitSessions(sessionIds: readonly string[], groups: number, seed: number): Set<string>[] {
  const random = createSeededRandom(`split:${seed}`);
  const result = Array.from({ length: groups }, () => new Set<string>());
  sessionIds.forEach((id, index) => result[index < groups ? index : random.nextInt(groups)]!.add(id));
  return result;
}

/**
 * Cuts a pass's events at capture time `cutUs` into two passes as a rotation
 * does: the second pass's packet indices restart at 0 and every session it
 * sees is announced again (`onSession`) before its first message. Returns the
 * passes and the first pass's packet count (the second's `packetIndexOffset`).
 */
export function cutAt(events: readonly MatchEvent[], cutUs: number): { first: MatchEvent[]; second: MatchEvent[]; firstPackets: number } {
  const first: MatchEvent[] = [];
  const second: MatchEvent[] = [];
  const sessions = new Map<string, Session>();
  let firstPackets = 0;
  let secondStart = -1;
  const announced = new Set<string>();
  for (const event of events) {
    if (event.kind === "session") {
      sessions.set(event.session.id, event.session);
      const pass = secondStart < 0 ? 1 : 2;
      announced.add(`${pass}:${event.session.id}`);
      (pass === 1 ? first : second).push(event);
      continue;
    }
    const message = event.message;
    if (message.tUs < cutUs && secondStart < 0) {
      const session = sessions.get(message.sessionId);
      if (session !== undefined && !announced.has(`1:${session.id}`)) {
        announced.add(`1:${session.id}`);
        first.push({ kind: "session", session });
      }
      first.push(event);
      firstPackets = Math.max(firstPackets, message.packetIndex + 1);
      continue;
    }
    if (secondStart < 0) secondStart = firstPackets;
    const session = sessions.get(message.sessionId);
    if (session !== undefined && !announced.has(`2:${session.id}`)) {
      announced.add(`2:${session.id}`);
      second.push({ kind: "session", session });
    }
    second.push({ kind: "message", message: { ...message, packetIndex: message.packetIndex - secondStart } });
  }
  return { first, second, firstPackets };
}
