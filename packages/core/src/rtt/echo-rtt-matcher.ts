import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "../game-message.js";
import { DirectionSchema, type Direction } from "../session.js";
import { countSchema } from "./rtt-state.js";
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
  /** The session's first replies without a request (a previous pass may hold the request). */
  unmatched: { key: string; tUs: number; direction: Direction; echoTimeUs: number | null; packetIndex: number }[] | undefined;
}

/** Unmatched replies remembered per session, and unanswered requests carried, for a rotation cut. */
export const MAX_CARRIED_ECHOES = 32;

/** TypeBox schema of {@link EchoSessionCarry}. */
export const echoSessionCarrySchema = Type.Object(
  {
    /** Unanswered requests sent within `maxRttMs` of the pass's end (latest first dropped last): key, first send µs, direction, `[clock, send µs]` per resend. */
    requests: Type.Array(
      Type.Object(
        { key: Type.String({ maxLength: 256 }), tUs: Type.Number(), direction: DirectionSchema, sends: Type.Array(Type.Tuple([Type.Number(), Type.Number()]), { maxItems: MAX_SENDS_PER_REQUEST }) },
        { additionalProperties: false },
      ),
      { maxItems: MAX_CARRIED_ECHOES },
    ),
    /** The pass's first replies without a request. */
    replies: Type.Array(
      Type.Object(
        { key: Type.String({ maxLength: 256 }), tUs: Type.Number(), direction: DirectionSchema, echoTimeUs: Type.Union([Type.Number(), Type.Null()]), packetIndex: countSchema },
        { additionalProperties: false },
      ),
      { maxItems: MAX_CARRIED_ECHOES },
    ),
  },
  { additionalProperties: false },
);

/**
 * What a rotation cut needs of one session's echo matching, as plain data
 * ({@link EchoRttMatcher.saveCarry}): the requests still unanswered at the end
 * of the pass and the pass's first replies without a request;
 * {@link continueEchoCarry} pairs them as one pass would have.
 */
export type EchoSessionCarry = Static<typeof echoSessionCarrySchema>;

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

  /** What a rotation cut needs of one session (see {@link EchoSessionCarry}); undefined when nothing is held. */
  saveCarry(sessionId: string): EchoSessionCarry | undefined {
    const session = this.pending.get(sessionId);
    if (session === undefined) return undefined;
    const requests: EchoSessionCarry["requests"] = [];
    for (const [key, request] of session.requests) {
      if (session.lastSeenUs - request.tUs > this.maxRttUs) continue;
      requests.push({ key, tUs: request.tUs, direction: request.direction, sends: request.sends === undefined ? [] : [...request.sends] });
      if (requests.length > MAX_CARRIED_ECHOES) requests.shift();
    }
    return { requests, replies: (session.unmatched ?? []).map((reply) => ({ ...reply })) };
  }

  /** Feeds one message (messages without `echoKey`/`echoPhase` are ignored). */
  onMessage(message: GameMessage): void {
    const { echoKey, echoPhase } = message.roles;
    if (echoKey === undefined || echoPhase === undefined) return;
    let session = this.pending.get(message.sessionId);
    if (session === undefined) {
      session = { requests: new Map(), lastSeenUs: message.tUs, unmatched: undefined };
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
      if (request === undefined && (session.unmatched === undefined || session.unmatched.length < MAX_CARRIED_ECHOES)) {
        (session.unmatched ??= []).push({ key: echoKey, tUs: message.tUs, direction: message.direction, echoTimeUs: message.roles.echoTimeUs ?? null, packetIndex: message.packetIndex });
      }
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

/**
 * Pairs the earlier pass's unanswered requests with the later pass's replies
 * without a request (both {@link EchoRttMatcher.saveCarry} of one session), as
 * {@link EchoRttMatcher} would have in one pass: same key, opposite direction,
 * counted from the send whose clock the reply echoes (else the first), within
 * `maxRttMs`. Returns the samples (packet indices moved by `packetIndexOffset`)
 * and how many replies one pass would not have counted as unmatched.
 */
export function continueEchoCarry(sessionId: string, earlier: EchoSessionCarry, later: EchoSessionCarry, packetIndexOffset: number, maxRttMs = 30_000): { samples: RttSample[]; matchedReplies: number } {
  const requests = new Map(earlier.requests.map((request) => [request.key, request]));
  const samples: RttSample[] = [];
  let matchedReplies = 0;
  for (const reply of later.replies) {
    const request = requests.get(reply.key);
    if (request === undefined || request.direction === reply.direction) continue;
    requests.delete(reply.key);
    matchedReplies += 1;
    const resend = reply.echoTimeUs === null ? undefined : request.sends.find(([clockUs]) => clockUs === reply.echoTimeUs);
    const sentUs = resend === undefined ? request.tUs : resend[1];
    const rttUs = reply.tUs - sentUs;
    if (rttUs < 0 || rttUs > maxRttMs * 1000) continue;
    samples.push({ sessionId, direction: request.direction, method: "echo", tUs: sentUs, rttMs: rttUs / 1000, packetIndex: reply.packetIndex + packetIndexOffset, channel: "" });
  }
  return { samples, matchedReplies };
}
