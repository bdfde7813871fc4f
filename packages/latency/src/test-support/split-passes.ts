import type { GameMessage, LogEvent, MergeableAnalyzer, Session } from "@tickscope/core";
import { matchMessages, type SyntheticMatch } from "./synthetic-match.js";

/** One event of a pass, as the pipeline calls the analyzer. */
export type PassEvent = { kind: "session"; session: Session } | { kind: "message"; message: GameMessage } | { kind: "log"; event: LogEvent };

/** Every event of a match in pipeline order (sessions first, log events interleaved by time), as `runAnalyzer` feeds them. */
export function matchEvents(match: SyntheticMatch, withLogEvents: boolean): PassEvent[] {
  const events: PassEvent[] = match.sessions.map((session) => ({ kind: "session", session }));
  const logs = withLogEvents ? [...match.logEvents].sort((left, right) => left.tUs - right.tUs) : [];
  let logIndex = 0;
  for (const message of matchMessages(match)) {
    while (logIndex < logs.length && logs[logIndex].tUs <= message.tUs) events.push({ kind: "log", event: logs[logIndex++] });
    events.push({ kind: "message", message });
  }
  while (logIndex < logs.length) events.push({ kind: "log", event: logs[logIndex++] });
  return events;
}

/** Feeds events to an analyzer. */
export function feed(analyzer: MergeableAnalyzer<unknown, unknown>, events: readonly PassEvent[]): void {
  for (const event of events) {
    if (event.kind === "session") analyzer.onSession?.(event.session);
    else if (event.kind === "message") analyzer.onMessage(event.message);
    else analyzer.onLogEvent?.(event.event);
  }
}

/** The events of the sessions of one group (same packet indices and times). */
export function sessionGroup(events: readonly PassEvent[], sessionIds: ReadonlySet<string>): PassEvent[] {
  return events.filter((event) => (event.kind === "session" ? sessionIds.has(event.session.id) : event.kind === "message" ? sessionIds.has(event.message.sessionId) : false));
}

/**
 * A rotation cut at `cutUs`: the first pass holds what came before, the second
 * what came after, its packet indices restarting at 0 and its sessions
 * announced again. Returns both passes and the first pass's packet count (the
 * second pass's `packetIndexOffset`).
 */
export function rotationCut(events: readonly PassEvent[], cutUs: number): { first: PassEvent[]; second: PassEvent[]; offset: number } {
  const first: PassEvent[] = [];
  const later: PassEvent[] = [];
  const sessions = new Map<string, Session>();
  let offset = Number.POSITIVE_INFINITY;
  for (const event of events) {
    if (event.kind === "session") {
      sessions.set(event.session.id, event.session);
      first.push(event);
    } else if (event.kind === "message") {
      if (event.message.tUs < cutUs) first.push(event);
      else {
        offset = Math.min(offset, event.message.packetIndex);
        later.push(event);
      }
    } else (event.event.tUs < cutUs ? first : later).push(event);
  }
  const announced = new Set<string>();
  const second: PassEvent[] = [];
  for (const event of later) {
    if (event.kind === "message") {
      if (!announced.has(event.message.sessionId)) {
        announced.add(event.message.sessionId);
        second.push({ kind: "session", session: sessions.get(event.message.sessionId)! });
      }
      second.push({ kind: "message", message: { ...event.message, packetIndex: event.message.packetIndex - offset } });
    } else second.push(event);
  }
  return { first, second, offset };
}
