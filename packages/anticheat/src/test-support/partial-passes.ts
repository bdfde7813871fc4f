import type { DecodeAnomaly, GameMessage, Session } from "@tickscope/core";
import { AnticheatAnalyzer } from "../anticheat-analyzer.js";
import type { AnticheatAnalyzerState } from "../anticheat-state.js";
import type { AnticheatOptions } from "../options.js";
import type { GeneratedMatch } from "./match-generator.js";
import { Random } from "./random.js";

/** One event of a generated match. */
export type MatchEvent = GeneratedMatch["events"][number];

/**
 * Feeds events to an analyzer as a capture pipeline does: `onSession` at a
 * session's first event, `onPacket` at each new packet index, then the
 * message or anomaly. `packetIndexBase` is subtracted from every packet index
 * (a later file of a rotation numbers its packets from 0).
 */
export function feedEvents(analyzer: AnticheatAnalyzer, sessions: readonly Session[], events: readonly MatchEvent[], packetIndexBase = 0): void {
  const byId = new Map(sessions.map((session) => [session.id, session]));
  const announced = new Set<string>();
  let lastPacket = -1;
  for (const event of events) {
    const item: GameMessage | DecodeAnomaly = event.message ?? event.anomaly!;
    if (!announced.has(item.sessionId)) {
      announced.add(item.sessionId);
      analyzer.onSession(byId.get(item.sessionId)!);
    }
    const packetIndex = item.packetIndex - packetIndexBase;
    if (packetIndex !== lastPacket) {
      lastPacket = packetIndex;
      const wireLength = event.message?.packetWireLength ?? 62;
      analyzer.onPacket({ sessionId: item.sessionId, direction: item.direction, tUs: item.tUs, packetIndex, wireLength, payloadLength: wireLength - 42, frameCount: 1 });
    }
    if (event.message !== undefined) analyzer.onMessage(packetIndexBase === 0 ? event.message : { ...event.message, packetIndex });
    else analyzer.onAnomaly(packetIndexBase === 0 ? event.anomaly! : { ...event.anomaly!, packetIndex });
  }
}

/** The report of one pass over every event. */
export function onePass(match: GeneratedMatch, options: Partial<AnticheatOptions> = {}): AnticheatAnalyzer {
  const analyzer = new AnticheatAnalyzer(options);
  feedEvents(analyzer, match.sessions, match.events);
  return analyzer;
}

/**
 * Session-sharded passes: the sessions are split into `groups` random groups
 * (each non-empty when there are enough sessions); each group's analyzer sees
 * only its sessions' events, with the packet indices and times of the full
 * pass. Returns the saved states, JSON round-tripped (as a file or a worker
 * message carries them).
 */
export function shardedStates(match: GeneratedMatch, groups: number, seed: number, options: Partial<AnticheatOptions> = {}): AnticheatAnalyzerState[] {
  const random = new Random(seed);
  const ids = match.sessions.map((session) => session.id);
  const groupOf = new Map<string, number>();
  ids.forEach((id, index) => groupOf.set(id, index < groups ? index : random.integer(0, groups - 1)));
  const states: AnticheatAnalyzerState[] = [];
  for (let group = 0; group < groups; group++) {
    const analyzer = new AnticheatAnalyzer(options);
    const events = match.events.filter((event) => groupOf.get((event.message ?? event.anomaly!).sessionId) === group);
    feedEvents(analyzer, match.sessions, events);
    states.push(JSON.parse(JSON.stringify(analyzer.saveState())) as AnticheatAnalyzerState);
  }
  return states;
}

/** Index of the first event at or after `cutUs` that starts a new packet (a file boundary falls between datagrams). */
export function cutIndex(events: readonly MatchEvent[], cutUs: number): number {
  let index = events.findIndex((event) => (event.message ?? event.anomaly!).tUs >= cutUs);
  if (index < 0) return events.length;
  const packetOf = (at: number): number => (events[at]!.message ?? events[at]!.anomaly!).packetIndex;
  while (index > 0 && index < events.length && packetOf(index) === packetOf(index - 1)) index++;
  return index;
}

/**
 * A rotation: the events cut at `cutUs` into two passes (the second numbers
 * its packets from 0 and sees every session as new), each saved and JSON
 * round-tripped, then merged in order into a fresh analyzer with the first
 * pass's packet count as the second's offset.
 */
export function rotationMerge(match: GeneratedMatch, cutUs: number, options: Partial<AnticheatOptions> = {}): AnticheatAnalyzer {
  const cut = cutIndex(match.events, cutUs);
  const first = new AnticheatAnalyzer(options);
  feedEvents(first, match.sessions, match.events.slice(0, cut));
  const later = match.events.slice(cut);
  const offset = later.length === 0 ? 0 : (later[0]!.message ?? later[0]!.anomaly!).packetIndex;
  const second = new AnticheatAnalyzer(options);
  feedEvents(second, match.sessions, later, offset);
  const merged = new AnticheatAnalyzer(options);
  merged.mergeState(JSON.parse(JSON.stringify(first.saveState())) as AnticheatAnalyzerState, { packetIndexOffset: 0 });
  merged.mergeState(JSON.parse(JSON.stringify(second.saveState())) as AnticheatAnalyzerState, { packetIndexOffset: offset });
  return merged;
}
