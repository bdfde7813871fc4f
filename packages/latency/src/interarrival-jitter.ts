/** RFC 3550 jitter and RTT smoothing moved to core (one computation for latency and regions); re-exported for existing imports. */
export { InterarrivalJitter, SmoothedRtt, type InterarrivalJitterOptions, type JitterRestart, type JitterRestartReason } from "@tickscope/core";
