import type { GameMessage } from "../game-message.js";
import type { Direction } from "../session.js";
import type { RttSample, RttSampleSink } from "./rtt-sample.js";

/** Options of {@link EchoRttMatcher}. */
export interface EchoRttMatcherOptions {
  /** Unanswered requests remembered per session (oldest dropped first). Default 4096. */
  maxPendingPerSession?: number;
  /** Replies later than this give no sample, ms. Default 30,000. */
  maxRttMs?: number;
}

/** An unanswered request: when and in which direction it was (first) sent. */
interface PendingRequest {
  tUs: number;
  direction: Direction;
  /** Sends of the request by their clock value (its `echoTimeUs`, else `sendTimeUs`) → capture time, µs. */
  sends: Map<number, number> | undefined;
}

/** Sends of one request remembered by clock value (a request resent more often counts the rest from the first send). */
const MAX_SENDS_PER_REQUEST = 8;

/** The clock a request carries that its reply may echo: its own `echoTime`, else its `sendTime`. */
function requestClockUs(message: GameMessage): number | undefined {
  return message.roles.echoTimeUs ?? message.roles.sendTimeUs;
}

/** The unanswered requests of one session, and when the session was last fed. */
interface SessionRequests {
  readonly requests: Map<string, PendingRequest>;
  /** Capture time of the latest echo message of the session, µs. */
  lastSeenUs: number;
}

/**
 * Echo-based RTT: a message with `echoPhase: "request"` and an `echoKey` (a
 * ping, Firefall's time-sync request) → the first message in the other
 * direction with `echoPhase: "reply"` and the same key (the `echoId` when the
 * messages carry one, else the echoed time). A request repeated in several
 * messages of one datagram, or resent, counts from its first send — unless the
 * reply also echoes a time (`echoTimeUs`, e.g. a pong with both `echoId` and
 * `echoTime`) equal to the clock of one send of the request (its `echoTime`,
 * else its `sendTime`): then it counts from that send.
 * Memory: at most `maxPendingPerSession` requests per session; on an endless
 * stream, {@link evictIdle} (or {@link forget}) drops the sessions that ended.
 */
export class EchoRttMatcher {
  private readonly pending = new Map<string, SessionRequests>();
  private readonly maxPending: number;
  private readonly maxRttUs: number;
  private readonly sample: RttSample = { sessionId: "", direction: "clientToServer", method: "echo", tUs: 0, rttMs: 0, packetIndex: 0, channel: "" };
  /** Replies with no matching request. */
  unmatchedReplies = 0;
  /** Requests dropped because too many were pending. */
  droppedRequests = 0;

  constructor(
    private readonly sink: RttSampleSink,
    options: EchoRttMatcherOptions = {},
  ) {
    this.maxPending = options.maxPendingPerSession ?? 4096;
    this.maxRttUs = (options.maxRttMs ?? 30_000) * 1000;
  }

  /** Sessions holding echo state. */
  get sessionCount(): number {
    return this.pending.size;
  }

  /** Requests awaiting their reply, over every session. */
  get pendingCount(): number {
    let count = 0;
    for (const session of this.pending.values()) count += session.requests.size;
    return count;
  }

  /**
   * Forgets every session whose latest echo message is more than `idleUs`
   * older than `nowUs` (capture time, µs) and returns how many. With `idleUs`
   * at least `maxRttMs`, no sample is lost. O(sessions).
   */
  evictIdle(nowUs: number, idleUs: number): number {
    let evicted = 0;
    for (const [sessionId, session] of this.pending) {
      if (nowUs - session.lastSeenUs > idleUs) {
        this.pending.delete(sessionId);
        evicted += 1;
      }
    }
    return evicted;
  }

  /** Forgets one session's unanswered requests. */
  forget(sessionId: string): void {
    this.pending.delete(sessionId);
  }

  /** Feeds one message (messages without `echoKey`/`echoPhase` are ignored). */
  onMessage(message: GameMessage): void {
    const { echoKey, echoPhase } = message.roles;
    if (echoKey === undefined || echoPhase === undefined) return;
    let session = this.pending.get(message.sessionId);
    if (session === undefined) {
      session = { requests: new Map(), lastSeenUs: message.tUs };
      this.pending.set(message.sessionId, session);
    } else if (message.tUs > session.lastSeenUs) session.lastSeenUs = message.tUs;
    const requests = session.requests;
    if (echoPhase === "request") {
      const existing = requests.get(echoKey);
      const clockUs = requestClockUs(message);
      if (existing !== undefined) {
        // A resend: remember when this clock value was sent, so a reply echoing it counts from here.
        if (clockUs !== undefined && existing.direction === message.direction) {
          existing.sends ??= new Map();
          if (existing.sends.size < MAX_SENDS_PER_REQUEST && !existing.sends.has(clockUs)) existing.sends.set(clockUs, message.tUs);
        }
        return;
      }
      if (requests.size >= this.maxPending) {
        const oldest = requests.keys().next().value as string;
        requests.delete(oldest);
        this.droppedRequests += 1;
      }
      requests.set(echoKey, { tUs: message.tUs, direction: message.direction, sends: clockUs === undefined ? undefined : new Map([[clockUs, message.tUs]]) });
      return;
    }
    const request = requests.get(echoKey);
    if (request === undefined || request.direction === message.direction) {
      this.unmatchedReplies += 1;
      return;
    }
    requests.delete(echoKey);
    const echoedUs = message.roles.echoTimeUs;
    const sentUs = (echoedUs === undefined ? undefined : request.sends?.get(echoedUs)) ?? request.tUs;
    const rttUs = message.tUs - sentUs;
    if (rttUs < 0 || rttUs > this.maxRttUs) return;
    const sample = this.sample;
    sample.sessionId = message.sessionId;
    sample.direction = request.direction;
    sample.tUs = sentUs;
    sample.rttMs = rttUs / 1000;
    sample.packetIndex = message.packetIndex;
    this.sink(sample);
  }
}
