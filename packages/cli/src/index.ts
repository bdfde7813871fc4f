export { runCli, ExitCode, type CliStreams } from "./run-cli.js";
export { createProgram } from "./program.js";
export { TOOL_VERSION } from "./version.js";
export { runAnalyze, runAnalyzeStates, mergeSavedStates, type RunAnalyzeOptions, type AnalyzeInput, type AnalyzeStatesResult, type SessionShard } from "./run-analyze.js";
export {
  PARTIAL_FORMAT,
  PARTIAL_FORMAT_VERSION,
  PARTIAL_LIMITS,
  PartialReportSchema,
  SavedAnalysisStateSchema,
  type PartialReport,
  type SavedAnalysisState,
  type PartialRunSettings,
} from "./partial-report-schema.js";
export { canonicalJson, decodePartialReport, encodePartialReport, fileSha256, readPartialFile, sha256Hex } from "./partial-file.js";
export { buildPartialReport, writePartialFile, type PartialFileSummary, type PartialWriteHooks } from "./write-partial-file.js";
export {
  mergePartialFiles,
  mergePartialReports,
  type MergedPartialFiles,
  type MergedPartials,
  type MergePartialFilesOptions,
  type MergePartialsOptions,
  type NamedPartial,
  type SkippedPartial,
} from "./merge-partials.js";
export { mergeSessionLists } from "./session-list-merge.js";
export type { AnalyzeResult } from "./analyze-result.js";
export type { AnalysisSection, AnalysisName, MetricSample, ReportTable, ReportSeries } from "./analysis-section.js";
export { REPORT_FORMATS } from "./formats/index.js";
export { AnalyzeReportSchema } from "./report-document.js";
export { runWatch, type RunWatchOptions } from "./watch/run-watch.js";
export { WatchAnalyzer, type WatchSummary } from "./watch/watch-analyzer.js";
export type { WatchAlert, WatchAlertKind } from "./watch/watch-alert.js";
export { submitFleetJobs, type FleetSubmitOptions, type FleetSubmitResult, type SubmittedJob } from "./fleet/fleet-submit.js";
export { processFleetJob, runFleetWorker, type FleetPassRequest, type FleetWorkerEvent, type FleetWorkerOptions, type FleetWorkerStop, type FleetWorkerSummary, type PartialWriter, type PartialWritten } from "./fleet/fleet-worker.js";
export { buildFleetReport, formatFleetSummary, FLEET_INCOMPLETE_EXIT_CODE, type FleetMerge, type FleetReportOutcome, type PartialMerger } from "./fleet/fleet-report.js";
export { readFleetStatus, type FleetJobState, type FleetJobStatus, type FleetStatus } from "./fleet/fleet-status.js";
export { DEFAULT_QUEUE_NAME, jobIdOf, partialPathOf, type FleetAnalysisOptions, type FleetCapture, type FleetJobData } from "./fleet/fleet-job.js";
export { parseRedisUrl, type RedisEndpoint } from "./fleet/redis-url.js";
export { probeRedis } from "./fleet/redis-connection.js";
export { mergeFleetPartials, partialThreadLaunch, writeFleetPartial } from "./fleet/partial-bridge.js";
