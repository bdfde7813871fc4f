export { LossAnalyzer, createLossAnalyzer, STREAM_LIMIT_CODE, ENTITY_LIMIT_CODE, STRAY_CODE, BAD_ROLE_CODE, SEAM_INEXACT_CODE } from "./loss-analyzer.js";
export { lossAnalyzerStateSchema, sequenceSpaceStateSchema, LOSS_STATE_VERSION } from "./loss-analyzer-state.js";
export type {
  LossAnalyzerState,
  LossSessionState,
  LossDirectionState,
  LossStreamState,
  LossStreamCoreState,
  LossHeadPacketState,
  LossHeadAckState,
  LossRecentState,
} from "./loss-analyzer-state.js";
export type { SequenceSpaceState, RunState } from "./sequence-space.js";
export type { InputCoverageState } from "./input-coverage.js";
export type { Rfc3550State } from "./rfc3550-sequence.js";
export type { StateSyncState } from "./state-sync.js";
export type { LogHistogramState, RunLengthState } from "./histogram.js";
export type { LossPatternState } from "./gilbert-elliott-fit.js";
export { StreamHeadLog, HeadEntryKind } from "./stream-head-log.js";
export type { StreamHeadLogState } from "./stream-head-log.js";
export { compileStateCheck } from "./state-checker.js";
export type { StateCheck } from "./state-checker.js";
export type { EncodedSerial, EncodedFloat, EncodedSeries, SparseCounts } from "./state-encoding.js";
export type { LossAnalyzerOptions, VantagePoint } from "./loss-analyzer.js";
export { SequenceSpace, Observation } from "./sequence-space.js";
export type { ObservationValue, ResetCandidate, ResetReason, SequenceSpaceOptions } from "./sequence-space.js";
export { Rfc3550SequenceCounter } from "./rfc3550-sequence.js";
export { InputCoverage } from "./input-coverage.js";
export { StateSyncTracker, MAX_BUFFER_SNAPSHOTS } from "./state-sync.js";
export {
  LossPatternCounter,
  fitGilbertElliott,
  formatNetemGemodel,
  gilbertElliottPatternProbabilities,
  stationaryLoss,
  chiSquarePValue,
  DEFAULT_PATTERN_LENGTH,
} from "./gilbert-elliott-fit.js";
export type { GilbertElliottModel, GilbertElliottFit, GilbertElliottGoodnessOfFit, GilbertElliottFitOptions } from "./gilbert-elliott-fit.js";
export { wilsonInterval, normalQuantile } from "./wilson.js";
export type { ProportionInterval } from "./wilson.js";
export { LogHistogram, RunLengthHistogram } from "./histogram.js";
export type { DistributionSummary, RunLengthBucket, RunLengthSummary } from "./histogram.js";
export { replayResidualInputLoss, simulateResidualInputLoss, SeededRandom } from "./replay.js";
export { SchemaType } from "./schema-builder.js";
export type { JsonSchema } from "./schema-builder.js";
export {
  LossReportSchema,
  LossStreamSchema,
  SyncImpactSchema,
  StateSyncImpactSchema,
  InputSyncImpactSchema,
  ReliableSyncImpactSchema,
  DistributionSchema,
  RateIntervalSchema,
  RunLengthSchema,
  BurstsSchema,
  GilbertElliottSchema,
  ResetCandidateSchema,
  SenderViewSchema,
} from "./report-schema.js";
export type {
  LossReport,
  LossStream,
  SyncImpact,
  StateSyncImpact,
  InputSyncImpact,
  ReliableSyncImpact,
  Distribution,
  RateInterval,
  RunLengths,
  GilbertElliottReport,
  ResetCandidateReport,
  SenderView,
} from "./report-schema.js";
