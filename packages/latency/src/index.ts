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
  LatencyReportSchema,
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
