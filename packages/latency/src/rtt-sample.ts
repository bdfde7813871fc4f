import type { Direction } from "@tickscope/core";

/** How a latency sample was measured. */
export type LatencyMethod = "ack" | "echo" | "oneWay" | "reported";

/** Every method, in the order reports list them. */
export const LATENCY_METHODS: readonly LatencyMethod[] = ["ack", "echo", "oneWay", "reported"];

/** One latency measurement. */
export interface LatencySample {
  sessionId: string;
  /**
   * Direction of the measured traffic: for `ack` the direction of the data
   * that was acknowledged, for `echo` the direction of the request, for
   * `reported` the direction of the message that carried the value.
   */
  direction: Direction;
  method: LatencyMethod;
  /** When the measured exchange started (send time of the data / request), µs. */
  tUs: number;
  /** Measured round-trip (or one-way) time, ms. */
  rttMs: number;
  /** Packet index of the packet that completed the measurement (ack, reply, report). */
  packetIndex: number;
}

/** Receives samples as trackers produce them. */
export type LatencySampleSink = (sample: LatencySample) => void;
