import type { GameMessage } from "../game-message.js";
import type { LogEvent } from "../log-event.js";
import type { Direction } from "../session.js";
import { AckRttSampler, type AckRttSamplerOptions } from "./ack-rtt-sampler.js";
import { EchoRttMatcher, type EchoRttMatcherOptions } from "./echo-rtt-matcher.js";
import type { RttSample, RttSampleSink } from "./rtt-sample.js";

/**
 * Value names of a server-log event read as the game's reported RTT, ms, first
 * match wins (the default of every analysis that reads server logs).
 */
export const DEFAULT_REPORTED_RTT_LOG_KEYS: readonly string[] = ["rttMs", "rtt", "pingMs", "ping", "latencyMs"];

/** Options of {@link RttSampler}. */
export interface RttSamplerOptions {
  /** Ack-based RTT. */
  ack?: AckRttSamplerOptions;
  /** Echo-based RTT. */
  echo?: EchoRttMatcherOptions;
  /** Server-log value names read as a reported RTT, ms. Default {@link DEFAULT_REPORTED_RTT_LOG_KEYS}. */
  reportedRttLogKeys?: readonly string[];
}

/**
 * Every RTT sample the roles of a session's messages give, by one set of rules
 * for every analysis: acks per RFC 9002 §5.1 ({@link AckRttSampler}), echo
 * request/reply pairs ({@link EchoRttMatcher}) and reported RTT values (one per
 * datagram; a 0 before the sender's first nonzero value is not yet measured:
 * {@link unmeasuredReported}), and reported RTT values of server-log events ({@link onLogEvent}).
 * Latency, regions and watch all feed their messages and logs through one of
 * these, so the same capture gives the same samples in each.
 * On an endless stream, {@link evictIdle} bounds the memory to the sessions
 * active in the last `idleUs`.
 */
export class RttSampler {
  /** The ack sampler (its counters: retransmissions, ambiguous acks, acks without a send stream). */
  readonly ack: AckRttSampler;
  /** The echo matcher (its counters: unmatched replies, dropped requests). */
  readonly echo: EchoRttMatcher;
  private readonly sample: RttSample = { sessionId: "", direction: "clientToServer", method: "reported", tUs: 0, rttMs: 0, packetIndex: 0, channel: "" };
  private lastReportedSessionId: string | undefined;
  private lastReportedPacketIndex = -1;
  /** Reported RTT values that were not a finite, non-negative number (no sample). */
  invalidReported = 0;
  /**
   * Reported RTT values of 0 before the sender's first nonzero one: engines
   * report 0 until their first measurement (pong) comes back, so these are
   * "not yet measured", not samples (a 0 after a measurement is a sample).
   */
  unmeasuredReported = 0;
  /** Capture time of the latest nonzero reported RTT per session, µs, by direction (0 = client→server): whose reports are measurements. */
  private readonly measuredReportedUs: [Map<string, number>, Map<string, number>] = [new Map(), new Map()];
  private readonly reportedRttLogKeys: readonly string[];

  constructor(
    private readonly sink: RttSampleSink,
    options: RttSamplerOptions = {},
  ) {
    this.ack = new AckRttSampler(sink, options.ack);
    this.echo = new EchoRttMatcher(sink, options.echo);
    this.reportedRttLogKeys = options.reportedRttLogKeys ?? DEFAULT_REPORTED_RTT_LOG_KEYS;
  }

  /** Sessions holding sampler state (ack send streams or echo requests). */
  get sessionCount(): number {
    return Math.max(this.ack.sessionCount, this.echo.sessionCount);
  }

  /**
   * Forgets the state of every session idle for more than `idleUs` at `nowUs`
   * (capture time, µs): see {@link AckRttSampler.evictIdle}. Returns the sessions
   * whose ack or echo state was dropped (a session with both counts once per part).
   */
  evictIdle(nowUs: number, idleUs: number): number {
    for (const measured of this.measuredReportedUs) {
      for (const [sessionId, lastUs] of measured) if (nowUs - lastUs > idleUs) measured.delete(sessionId);
    }
    return this.ack.evictIdle(nowUs, idleUs) + this.echo.evictIdle(nowUs, idleUs);
  }

  /** Forgets one session's state (an evicted session of a caller with its own bound). */
  forget(sessionId: string): void {
    this.ack.forget(sessionId);
    this.echo.forget(sessionId);
    this.measuredReportedUs[0].delete(sessionId);
    this.measuredReportedUs[1].delete(sessionId);
    if (this.lastReportedSessionId === sessionId) this.lastReportedSessionId = undefined;
  }

  /**
   * The reported RTT of a server-log event (its first value named in
   * `reportedRttLogKeys`) as a `reported` sample of `sessionId`, client→server,
   * at the event's time, by the same rule as a reported RTT in a message.
   * Returns whether the event carried such a value.
   */
  onLogEvent(event: LogEvent, sessionId: string): boolean {
    const keys = this.reportedRttLogKeys;
    for (let index = 0; index < keys.length; index++) {
      const value = event.values[keys[index]];
      if (value === undefined) continue;
      this.report(sessionId, "clientToServer", event.tUs, value, 0);
      return true;
    }
    return false;
  }

  /** Feeds one decoded message. */
  onMessage(message: GameMessage): void {
    const roles = message.roles;
    if (roles.sequence !== undefined || roles.ack !== undefined) this.ack.onMessage(message);
    if (roles.echoKey !== undefined) this.echo.onMessage(message);
    const reported = roles.reportedRttMs;
    if (reported === undefined) return;
    // A value repeated on several messages of one datagram counts once.
    if (message.packetIndex === this.lastReportedPacketIndex && message.sessionId === this.lastReportedSessionId) return;
    this.lastReportedPacketIndex = message.packetIndex;
    this.lastReportedSessionId = message.sessionId;
    this.report(message.sessionId, message.direction, message.tUs, reported, message.packetIndex);
  }

  private report(sessionId: string, direction: Direction, tUs: number, rttMs: number, packetIndex: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) {
      this.invalidReported += 1;
      return;
    }
    const measured = this.measuredReportedUs[direction === "clientToServer" ? 0 : 1];
    if (rttMs !== 0) measured.set(sessionId, tUs);
    else if (!measured.has(sessionId)) {
      this.unmeasuredReported += 1;
      return;
    }
    const sample = this.sample;
    sample.sessionId = sessionId;
    sample.direction = direction;
    sample.tUs = tUs;
    sample.rttMs = rttMs;
    sample.packetIndex = packetIndex;
    this.sink(sample);
  }
}
