import type { GameMessage } from "../game-message.js";
import { AckRttSampler, type AckRttSamplerOptions } from "./ack-rtt-sampler.js";
import { EchoRttMatcher, type EchoRttMatcherOptions } from "./echo-rtt-matcher.js";
import type { RttSample, RttSampleSink } from "./rtt-sample.js";

/** Options of {@link RttSampler}. */
export interface RttSamplerOptions {
  /** Ack-based RTT. */
  ack?: AckRttSamplerOptions;
  /** Echo-based RTT. */
  echo?: EchoRttMatcherOptions;
}

/**
 * Every RTT sample the roles of a session's messages give, by one set of rules
 * for every analysis: acks per RFC 9002 §5.1 ({@link AckRttSampler}), echo
 * request/reply pairs ({@link EchoRttMatcher}) and reported RTT values (one per
 * datagram). Latency and regions both feed their messages through one of these,
 * so the same capture gives the same samples in both.
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

  constructor(
    private readonly sink: RttSampleSink,
    options: RttSamplerOptions = {},
  ) {
    this.ack = new AckRttSampler(sink, options.ack);
    this.echo = new EchoRttMatcher(sink, options.echo);
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
    if (!Number.isFinite(reported) || reported < 0) {
      this.invalidReported += 1;
      return;
    }
    const sample = this.sample;
    sample.sessionId = message.sessionId;
    sample.direction = message.direction;
    sample.tUs = message.tUs;
    sample.rttMs = reported;
    sample.packetIndex = message.packetIndex;
    this.sink(sample);
  }
}
