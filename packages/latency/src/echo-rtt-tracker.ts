import type { Direction, GameMessage } from "@tickscope/core";
import type { LatencySampleSink } from "./rtt-sample.js";

/** Options of {@link EchoRttTracker}. */
export interface EchoRttTrackerOptions {
  /** Unanswered requests remembered per session (oldest dropped first). Default 4096. */
  maxPendingPerSession?: number;
  /** Replies later than this are ignored, ms. Default 30,000. */
  maxRttMs?: number;
}

interface PendingRequest {
  tUs: number;
  direction: Direction;
}

/**
 * Echo-based RTT: a message with `echoPhase: "request"` and an `echoKey`
 * (ping, Firefall time-sync request) → the first message in the other
 * direction with `echoPhase: "reply"` and the same key. A request repeated in
 * several messages of one datagram counts once (the first send is kept).
 */
export class EchoRttTracker {
  private readonly pending = new Map<string, Map<string, PendingRequest>>();
  private readonly maxPending: number;
  private readonly maxRttUs: number;
  /** Replies with no matching request. */
  unmatchedReplies = 0;
  /** Requests dropped because too many were pending. */
  droppedRequests = 0;

  constructor(
    private readonly sink: LatencySampleSink,
    options: EchoRttTrackerOptions = {},
  ) {
    this.maxPending = options.maxPendingPerSession ?? 4096;
    this.maxRttUs = (options.maxRttMs ?? 30_000) * 1000;
  }

  /** Feeds one message. */
  onMessage(message: GameMessage): void {
    const { echoKey, echoPhase } = message.roles;
    if (echoKey === undefined || echoPhase === undefined) return;
    let requests = this.pending.get(message.sessionId);
    if (requests === undefined) {
      requests = new Map();
      this.pending.set(message.sessionId, requests);
    }
    if (echoPhase === "request") {
      if (requests.has(echoKey)) return;
      if (requests.size >= this.maxPending) {
        const oldest = requests.keys().next().value as string;
        requests.delete(oldest);
        this.droppedRequests += 1;
      }
      requests.set(echoKey, { tUs: message.tUs, direction: message.direction });
      return;
    }
    const request = requests.get(echoKey);
    if (request === undefined || request.direction === message.direction) {
      this.unmatchedReplies += 1;
      return;
    }
    requests.delete(echoKey);
    const rttUs = message.tUs - request.tUs;
    if (rttUs < 0 || rttUs > this.maxRttUs) return;
    this.sink({
      sessionId: message.sessionId,
      direction: request.direction,
      method: "echo",
      tUs: request.tUs,
      rttMs: rttUs / 1000,
      packetIndex: message.packetIndex,
    });
  }
}
