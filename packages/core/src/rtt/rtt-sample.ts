import type { Direction } from "../session.js";

/** How a round-trip sample was measured from the roles of the messages. */
export type RttMethod = "echo" | "reported" | "ack";

/**
 * Every RTT method, most direct first: an echo (ping/pong, time sync) times one
 * exchange the game made for that purpose; a reported RTT is what the game itself
 * measured; an ack RTT also contains the peer's ack delay and batching.
 */
export const RTT_METHODS: readonly RttMethod[] = ["echo", "reported", "ack"];

/** One RTT measurement taken from the roles of decoded messages. */
export interface RttSample {
  sessionId: string;
  /**
   * Direction of the measured traffic: for `ack` the direction of the data that
   * was acknowledged, for `echo` the direction of the request, for `reported`
   * the direction of the message that carried the value.
   */
  direction: Direction;
  method: RttMethod;
  /** When the measured exchange started (send of the data / request; the report's capture time), µs. */
  tUs: number;
  /** Measured round-trip time, ms (ack: the peer's declared ack delay already subtracted). */
  rttMs: number;
  /** Packet index of the packet that completed the measurement (ack, reply, report). */
  packetIndex: number;
  /** `ack` samples: the channel (sequence space) whose send was acknowledged ("" when the protocol has none). */
  channel: string;
}

/**
 * Receives samples as the samplers produce them. The sample object is reused
 * for the next sample (no allocation per sample): copy what you keep.
 */
export type RttSampleSink = (sample: RttSample) => void;
