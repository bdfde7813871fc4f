export {
  CauseTimeline,
  compareCauses,
  type CauseTimelineOptions,
  type SpikeCause,
  type SpikeCauseKind,
} from "./cause-timeline.js";
export { InterarrivalJitter, SmoothedRtt, type InterarrivalJitterOptions, type JitterRestart, type JitterRestartReason } from "./interarrival-jitter.js";
export { LatencyAnalyzer, SUGGESTED_FIXES, type LatencyAnalyzerOptions } from "./latency-analyzer.js";
export {
  LATENCY_STATE_VERSION,
  latencyAnalyzerStateSchema,
  type LatencyAnalyzerState,
  type LatencySeriesState,
  type LatencySessionState,
  type LatencySpikeState,
} from "./latency-analyzer-state.js";
export {
  LatencyReportSchema,
  type LatencyMethodDetails,
  type LatencyMethodDisagreement,
  type LatencyMinuteReport,
  type LatencyPercentiles,
  type LatencyReport,
  type LatencySeriesReport,
  type LatencySessionReport,
  type LatencySpikeReport,
  type LatencyStreamReport,
  type LatencyTimestampReset,
  type PlayerExperience,
  type SpikeCauseReport,
} from "./latency-report.js";
export { LogEventTimeline } from "./log-event-timeline.js";
/** The sketch moved to core (one sketch for every package); re-exported for existing imports. */
export { DEFAULT_SKETCH_RELATIVE_ACCURACY, QuantileSketch } from "@tickscope/core";
export { RunningStatistics } from "./running-statistics.js";
export { LATENCY_METHODS, type LatencyMethod, type LatencySample, type LatencySampleSink } from "./rtt-sample.js";
export { normalUpperTailLog10, poissonUpperTailLog10, surpriseToScore } from "./significance.js";
export { SpikeDetector, type DetectedSpike, type SpikeDetectorOptions } from "./spike-detector.js";
export {
  CaptureMatcher,
  OneWayDelayEstimator,
  lowerEnvelope,
  payloadHash,
  type CaptureMatcherOptions,
  type CaptureRecord,
  type ClockModel,
  type MatchedPair,
  type OneWayDelayEstimatorOptions,
  type OneWayDelayReport,
} from "./one-way-delay.js";
export { RttTimeline, type RttTimelinePoint } from "./rtt-timeline.js";
export { IntervalHistogram, type DominantInterval, type IntervalHistogramOptions } from "./interval-histogram.js";
export { PACKET_TIMING_METHOD, PacketTimingAnalyzer, type PacketTimingAnalyzerOptions } from "./packet-timing-analyzer.js";
export { PACKET_TIMING_STATE_VERSION, packetTimingAnalyzerStateSchema, type PacketTimingAnalyzerState } from "./packet-timing-analyzer-state.js";
export {
  PacketTimingReportSchema,
  type PacketTimingDirectionReport,
  type PacketTimingReport,
  type PacketTimingSessionReport,
  type ResponseTimingEstimate,
  type ScheduleJitter,
  type TickEstimate,
  type TimingBurst,
  type TimingConfidence,
  type TimingDistribution,
  type TimingGap,
} from "./packet-timing-report.js";
export { ResponseLagCorrelogram, type ResponseLagCorrelogramOptions, type ResponseLagPeak } from "./response-lag-correlogram.js";
