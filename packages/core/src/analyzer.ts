import type { GameMessage } from "./game-message.js";
import type { LogEvent } from "./log-event.js";
import type { Direction, Session } from "./session.js";
import type { TimeUs } from "./time.js";

/** A datagram seen in a session, before (or without) protocol decoding. */
export interface PacketObservation {
  sessionId: string;
  direction: Direction;
  tUs: TimeUs;
  /** Packet index in the capture. */
  packetIndex: number;
  /** Frame bytes on the wire (link + IP + UDP headers + payload). */
  wireLength: number;
  /** Transport payload bytes. */
  payloadLength: number;
  /** Link-layer frames the datagram took (> 1 when IP-fragmented). */
  frameCount: number;
  /**
   * The transport payload, when the producer has it: a view valid only during
   * the `onPacket` call (copy what you keep). Used e.g. by compression trials.
   */
  payload?: Uint8Array;
  /** Capture interface the (last) frame came in on (pcapng IDB index; 0 for pcap), when the producer knows it. */
  interfaceId?: number;
  /**
   * IP identification of the datagram (IPv4 header, or the IPv6 fragment header of a
   * reassembled datagram); -1 when it has none. With the payload it tells a frame
   * captured twice (same identification) from a sender's resend (a new one).
   */
  ipIdentification?: number;
}

/** A decode problem in one datagram (failed AEAD tag, value out of range, bad length...). */
export interface DecodeAnomaly {
  sessionId: string;
  direction: Direction;
  tUs: TimeUs;
  packetIndex: number;
  /** Stable error code, e.g. `E_DECRYPT_FAILED`. */
  code: string;
  /** Field path where it happened, when known. */
  fieldPath?: string;
  /** Message type being decoded, when known. */
  messageType?: string;
  /** Byte offset where decoding failed, in the bytes being decoded (after any transform), when known. */
  offset?: number;
  /** Human detail. */
  detail: string;
}

/**
 * The one shape of every analysis: created with options, fed in capture time
 * order, `finish()` returns its typed report. Analyzers never read files and
 * must keep memory bounded regardless of capture length. Every hook but
 * `onMessage` and `finish` is optional.
 */
export interface MessageAnalyzer<Report> {
  /** Analysis name (`latency`, `loss`, ...). */
  readonly name: string;
  /** Called once per session before its first packet. */
  onSession?(session: Session): void;
  /** Called for every datagram of a session, decoded or not, before its messages. */
  onPacket?(packet: PacketObservation): void;
  /** Called for every decoded message. The message must not be kept past the call unless copied. */
  onMessage(message: GameMessage): void;
  /** Called for every decode anomaly. */
  onAnomaly?(anomaly: DecodeAnomaly): void;
  /** Called for every server-log event, in time order with the rest. */
  onLogEvent?(event: LogEvent): void;
  /** Ends the analysis and returns its report. */
  finish(): Report;
}
