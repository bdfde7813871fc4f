export { createSharedBlockCounts, DEFAULT_SHARED_BLOCK_SLOTS } from "./shared-block-counts.js";
export { BandwidthAnalyzer, CAPTURE_DUPLICATE_WINDOW_US, createBandwidthAnalyzer, type BandwidthOptions } from "./bandwidth-analyzer.js";
export {
  BANDWIDTH_STATE_VERSION,
  bandwidthAnalyzerStateSchema,
  accountingStateSchema,
  observerStateSchema,
  traceStateSchema,
  type AccountingState,
  type BandwidthAnalyzerState,
  type BandwidthSaveStateOptions,
  type ObserverState,
  type TraceState,
} from "./bandwidth-state.js";
export type {
  BandwidthCost,
  BandwidthPlan,
  BandwidthRecommendation,
  BandwidthReport,
  BandwidthTotals,
  BudgetPlan,
  ChannelBandwidth,
  CompressionByType,
  CompressionReport,
  CompressionTrial,
  FieldBandwidth,
  MeasuredWindow,
  MessageTypeBandwidth,
  MinuteBandwidth,
  PacketSizeBucket,
  PacketSizeReport,
  PlanStep,
  SessionDirectionBandwidth,
} from "./bandwidth-report.js";
export { BandwidthReportSchema } from "./report-schema.js";
export { BandwidthAccounting, type AccountingOptions } from "./accounting.js";
export { BitReader, BitWriter } from "./bit-io.js";
export {
  LayoutReencoder,
  dequantizeValue,
  quantizeValue,
  type MessageLayout,
  type WireField,
  type WireType,
} from "./layout-reencoder.js";
export type {
  DeltaSpec,
  EncodingVariant,
  EntityArrayDescription,
  LeafDescription,
  LeafKind,
  LeafVisitor,
  QuantizationSpec,
  Reencoder,
  SmallestThreeSpec,
} from "./reencoder.js";
export { CompanionTrial, runTrial, TrialBaselines, TrialSizes, type TrialConfig, type TrialResult, type TrialStream, type RetainedBaseline, type EncodedMessageListener } from "./reencoding-trials.js";
export { RetainedTrace, TRACE_BLOCK_US, TRACE_WARMUP_US, type RetainedMessage } from "./trace.js";
export { PayloadSampler, datagramHash } from "./payload-sampler.js";
export { savingsRatioInterval, type SavingsInterval } from "./savings-interval.js";
export { blockSavingsInterval } from "./block-savings-interval.js";
export { deriveQuantization, toleranceFor, type QuantizationPlan, type QuantizedLeaf } from "./quantization.js";
export { measureInterpolationError, stateTypes, type InterpolationError } from "./update-rate.js";
export {
  COMPRESSION_TARGET_HALF_WIDTH,
  MIN_COMPRESSION_TRIAL_PACKETS,
  PER_STREAM_DEFLATE_LEVEL,
  deflatedBytes,
  nextSubsampleSize,
  reverseBits32,
  runCompressionTrials,
  sampleDepths,
  sampleOrder,
  trainDictionary,
  windowBitsFor,
} from "./compression.js";
export {
  COMPRESSION_THREAD_DEADLINE_MS,
  CompressionThread,
  CompressionThreadStatus,
  compressionWorkerFile,
  measureCompressionJob,
  type CompressionAnswer,
  type CompressionJob,
  type CompressionWorkerData,
} from "./compression-thread.js";
export { parseBandwidth, parseTolerances } from "./options.js";
export { layoutsFromDefinition, type DefinitionLayouts, type FieldDefinitionLike, type MessageDefinitionLike, type ProtocolDefinitionLike } from "./definition-layouts.js";
export { toCoreRecommendation } from "./core-recommendation.js";
export { detectQuaternions, smallestThreeCode, smallestThreeComponents, type QuaternionPlan } from "./smallest-three.js";
export { countLeafValues, FieldLeafCounter } from "./field-leaf-counter.js";
export { PendingDatagrams, type RedecodedMessage, type RetainedFieldDecoder } from "./pending-datagrams.js";
