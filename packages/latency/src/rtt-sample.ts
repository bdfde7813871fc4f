import type { RttSample, RttSampleSink } from "@tickscope/core";

/** How a latency figure was measured: core's RTT methods, plus one-way delay across two captures. */
export type LatencyMethod = "ack" | "echo" | "oneWay" | "reported";

/** Every method, in the order reports list them (most direct first; one-way delay is not a round trip). */
export const LATENCY_METHODS: readonly LatencyMethod[] = ["echo", "reported", "ack", "oneWay"];

/** One RTT measurement (core's {@link RttSample}: the latency analyzer consumes core's samplers). */
export type LatencySample = RttSample;

/** Receives samples as they are produced (core's {@link RttSampleSink}). */
export type LatencySampleSink = RttSampleSink;
