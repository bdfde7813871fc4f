import { Type, type Static } from "@sinclair/typebox";
import { OtherTrafficSchema, ReportInputSchema, SessionSchema } from "@tickscope/core";
import { ANALYSIS_NAMES } from "./analysis-section.js";
import { CaptureSummaryRecordSchema } from "./report-document.js";

/** The `format` of every partial report file (`analyze --partial`). */
export const PARTIAL_FORMAT = "tickscope-partial";

/** Version of the partial report's shape; bumped whenever it changes (a reader refuses other versions with `E_BAD_PARTIAL`). */
export const PARTIAL_FORMAT_VERSION = 1;

/** Bounds of a partial report, so that a hostile file cannot make a reader allocate without limit. */
export const PARTIAL_LIMITS = {
  /** Bytes of the decompressed JSON at most (a 100-player × 120 s arena pass saves a few MB). */
  maxJsonBytes: 512 * 1024 * 1024,
  /** Captures of one partial at most. */
  maxCaptures: 100_000,
} as const;

/** One analysis's saved state in a partial report: what its analyzer's `saveState()` returned. */
export const SavedAnalysisStateSchema = Type.Object({
  analysis: Type.Union(ANALYSIS_NAMES.map((name) => Type.Literal(name))),
  stateVersion: Type.Integer({ minimum: 0, description: "the analyzer's stateVersion when it saved the state" }),
  state: Type.Unknown({ description: "the analyzer's saveState(), validated by the analysis package when merged" }),
});

/** One analysis's saved state in a partial report. */
export type SavedAnalysisState = Static<typeof SavedAnalysisStateSchema>;

/** A location on Earth (client locations, server sites). */
const LocationSchema = Type.Object({ latitude: Type.Number(), longitude: Type.Number() });

/** The protocol definition of a pass, with its canonical hash (what merge compares). */
export const PartialProtocolSchema = Type.Object({
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$", description: "SHA-256 of the definition's canonical JSON (keys sorted)" }),
  definition: Type.Unknown({ description: "the validated protocol definition (merge builds the analysis context from it)" }),
});

/** The protocol definition of a pass, with its canonical hash. */
export type PartialProtocol = Static<typeof PartialProtocolSchema>;

/**
 * What merge compares between partials: runs with different analyses,
 * definitions or settings cannot be merged (`E_PARTIAL_MISMATCH` names the field).
 */
export const PartialRunSettingsSchema = Type.Object({
  analyses: Type.Array(Type.Union(ANALYSIS_NAMES.map((name) => Type.Literal(name))), { description: "analyses, in report order" }),
  protocolSha256: Type.Union([Type.String(), Type.Null()], { description: "canonical hash of the definition, null without one" }),
  settings: Type.Record(Type.String(), Type.Unknown(), { description: "per-analysis settings (config file and options)" }),
  serverPorts: Type.Array(Type.Integer({ minimum: 0, maximum: 65535 })),
  serverRegions: Type.Record(Type.String(), Type.String(), { description: "region of each server address" }),
  clientLocations: Type.Record(Type.String(), LocationSchema),
  serverSites: Type.Record(Type.String(), Type.Union([Type.String(), LocationSchema])),
});

/** What merge compares between partials. */
export type PartialRunSettings = Static<typeof PartialRunSettingsSchema>;

/**
 * A partial report (`tickscope analyze --partial out.tspart`, gzip'd JSON):
 * everything a report needs besides the analyses' sections — the captures and
 * their content hashes, the sessions, decode outcome and other traffic, the
 * protocol definition and settings — and, per analysis, the analyzer's saved
 * state. `tickscope merge` folds several into the report one pass over all
 * their captures gives. `tickscope schema partial` prints this schema.
 */
export const PartialReportSchema = Type.Object({
  format: Type.Literal(PARTIAL_FORMAT),
  formatVersion: Type.Literal(PARTIAL_FORMAT_VERSION),
  toolVersion: Type.String(),
  inputs: Type.Array(ReportInputSchema, { description: "inputs as analyze records them (protocol first, then captures)" }),
  captures: Type.Array(CaptureSummaryRecordSchema, { maxItems: PARTIAL_LIMITS.maxCaptures, description: "one summary per capture, in pass order (packet counts give the next pass's packetIndexOffset)" }),
  captureSha256: Type.Array(Type.String({ pattern: "^[0-9a-f]{64}$" }), { maxItems: PARTIAL_LIMITS.maxCaptures, description: "SHA-256 of each capture file's content, in the order of captures" }),
  otherTrafficByCapture: Type.Array(Type.Union([OtherTrafficSchema, Type.Null()]), {
    maxItems: PARTIAL_LIMITS.maxCaptures,
    description: "other traffic of each capture (null when nothing was gated), merged in capture order as analyze merges it",
  }),
  sessions: Type.Array(SessionSchema, { description: "sessions in the order analyze lists them" }),
  regionOfSession: Type.Record(Type.String(), Type.String()),
  decodeAnomalies: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  decodedMessages: Type.Integer({ minimum: 0 }),
  protocol: Type.Union([PartialProtocolSchema, Type.Null()]),
  keyFile: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "the key file given (--keys), null when none was given with a definition file" })),
  run: PartialRunSettingsSchema,
  recordedOptions: Type.Record(Type.String(), Type.Unknown(), { description: "the effective options analyze records in the report" }),
  analyses: Type.Array(SavedAnalysisStateSchema, { description: "one saved state per analysis, in run.analyses order" }),
});

/** A partial report (see {@link PartialReportSchema}). */
export type PartialReport = Static<typeof PartialReportSchema>;
