import type { LogEvent } from "./log-event.js";

/** Where {@link LogEventAttribution.attribute} puts one server-log event. */
export type LogEventPlacement =
  /** The event belongs to this session (its own `session`, or the session of its `player`). */
  | { readonly kind: "session"; readonly sessionId: string }
  /** The event names a player no session has named yet: held until one does ({@link LogEventAttribution.learnPlayer}). */
  | { readonly kind: "held" }
  /** The event names neither a session nor a player: a capture-wide event (a cause candidate, never a session's sample). */
  | { readonly kind: "captureWide" };

/** Options of {@link LogEventAttribution}. */
export interface LogEventAttributionOptions {
  /** Most events held for players not yet seen, over all players (default 10,000); more are counted as unattributed. */
  maxHeldEvents?: number;
}

/**
 * The one rule by which every analysis attributes a server-log event to a
 * session, so that two analyses never file the same log line under two
 * sessions:
 *
 * 1. an event naming a `session` belongs to it;
 * 2. else an event naming a `player` belongs to the session that player was
 *    last seen on (learned from `Session.player` or from the player id in the
 *    client's own messages, through {@link learnPlayer});
 * 3. an event naming a player no session has named yet is held (a server log
 *    often reports a player before the capture sees the player's first
 *    datagram) and released, in arrival order, when a session names the
 *    player; events still held at the end are unattributed — counted, never
 *    filed under a made-up session;
 * 4. an event naming neither is capture-wide.
 *
 * Memory is bounded by `maxHeldEvents`.
 */
export class LogEventAttribution {
  private readonly sessionOfPlayer = new Map<string, string>();
  private readonly heldByPlayer = new Map<string, LogEvent[]>();
  private readonly maxHeldEvents: number;
  private heldCount = 0;
  private overflowCount = 0;

  /** Creates an empty attribution. */
  constructor(options: LogEventAttributionOptions = {}) {
    const max = options.maxHeldEvents ?? 10_000;
    this.maxHeldEvents = Number.isSafeInteger(max) && max >= 0 ? max : 10_000;
  }

  /**
   * Records that `sessionId` is `player`'s session (a later session of the same
   * player replaces it) and returns the events held for that player, in
   * arrival order, now attributed to `sessionId`.
   */
  learnPlayer(player: string, sessionId: string): LogEvent[] {
    this.sessionOfPlayer.set(player, sessionId);
    const held = this.heldByPlayer.get(player);
    if (held === undefined) return [];
    this.heldByPlayer.delete(player);
    this.heldCount -= held.length;
    return held;
  }

  /** The session a player was last seen on, if any. */
  sessionOf(player: string): string | undefined {
    return this.sessionOfPlayer.get(player);
  }

  /** Places one event by the rule above (holding it when its player is not known yet). */
  attribute(event: LogEvent): LogEventPlacement {
    if (event.session !== undefined) return { kind: "session", sessionId: event.session };
    const player = event.player;
    if (player === undefined) return { kind: "captureWide" };
    const sessionId = this.sessionOfPlayer.get(player);
    if (sessionId !== undefined) return { kind: "session", sessionId };
    if (this.heldCount >= this.maxHeldEvents) {
      this.overflowCount += 1;
      return { kind: "held" };
    }
    let held = this.heldByPlayer.get(player);
    if (held === undefined) {
      held = [];
      this.heldByPlayer.set(player, held);
    }
    held.push(event);
    this.heldCount += 1;
    return { kind: "held" };
  }

  /** Events that named a player no session named (still held, or past `maxHeldEvents`). */
  get unattributedEvents(): number {
    return this.heldCount + this.overflowCount;
  }

  /** Players named by log events that no session named, sorted (for a report's evidence). */
  unknownPlayers(): string[] {
    return [...this.heldByPlayer.keys()].sort();
  }
}
