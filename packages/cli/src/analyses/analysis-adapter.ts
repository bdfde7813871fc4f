import type { MessageAnalyzer, Session } from "@tickscope/core";
import type { CompiledProtocol, ProtocolDefinition } from "@tickscope/core/protocol";
import type { AnalysisName, AnalysisSection } from "../analysis-section.js";

/** What an adapter knows about the run when it creates its analyzer. */
export interface AnalysisContext {
  /** The protocol definition, when one was given. */
  definition?: ProtocolDefinition;
  /** The pass's compiled definition (the decoder the capture pipeline runs), when one was given. */
  protocol?: CompiledProtocol;
  /** Region label of each session (from `--region name=capture`). */
  regionOfSession: Map<string, string>;
  /** Sessions seen, filled in as the pipeline runs (complete when `toSection` is called). */
  sessions: Session[];
  /** Client locations by client address (for speed-of-light bounds), when known. */
  clientLocations: Map<string, { latitude: number; longitude: number }>;
  /** Server sites by region name (a catalogue id such as `aws:eu-central-1`, or coordinates), when known. */
  serverSites: Record<string, string | { latitude: number; longitude: number }>;
  /** Per-analysis options from the config file (`tickscope.config.json`), passed through verbatim. */
  settings: Record<string, unknown>;
  /** The key file given (`--keys`), `null` when none was given with a definition file; undefined when unknown. */
  keyFile?: string | null;
  /** Decode anomalies by code, once the captures are read (complete when `toSection` is called). */
  decodeAnomalies?: Record<string, number>;
  /** Game messages decoded, once the captures are read (complete when `toSection` is called). */
  decodedMessages?: number;
  /**
   * True when the saved states may later be merged with other passes' parts of
   * the same sessions (a rotation cut: `--partial` files, fleet jobs): analyses
   * then keep what an exact merge across the cut needs (loss's seam log) and
   * measure every session whatever its label (a later part may bring it).
   * False or absent for the threads of `--thread-cut sessions`: their sessions
   * are disjoint, so each analysis runs as in a plain one-thread pass.
   */
  statesJoinSessionParts?: boolean;
  /**
   * Bandwidth's per-block trace counts shared by the threads of one
   * `--thread-cut sessions` run (an `Int32Array` over a `SharedArrayBuffer`,
   * `createSharedBlockCounts()`): each thread's analyzer then copies only
   * trace blocks the merged sample can hold. Absent otherwise.
   */
  bandwidthBlockCounts?: Int32Array;
  /** True when a server log is merged in: its events may label a session (its region) after the session's first message. */
  hasServerLog?: boolean;
  /**
   * True when the analyzers fed on this thread are finished on it and become
   * report sections (the main thread of `analyze`, not a saved or merged
   * state): an analysis may then give part of its `finish()` to a helper
   * thread it starts itself (bandwidth's compression trials).
   */
  finishesOnThisThread?: boolean;
}

/**
 * Connects one analysis package to `tickscope analyze`: creates its analyzer
 * and turns its report into an {@link AnalysisSection} (answer sentences,
 * findings, recommendations, metrics, tables, series). One file per analysis
 * under `analyses/`: that is where every number of a human report comes from.
 */
export interface AnalysisAdapter {
  /** Analysis name. */
  readonly name: AnalysisName;
  /** The question the analysis answers. */
  readonly question: string;
  /** Creates the analyzer for one run. */
  create(context: AnalysisContext): MessageAnalyzer<unknown>;
  /**
   * True when the analyzer reads `message.fields` (not just `message.roles`): a
   * pass whose analyses all leave it unset decodes roles only (see
   * `CompileProtocolOptions.fields`).
   */
  readonly readsFields?: boolean;
  /**
   * For an analyzer that reads the fields of some messages only (a sample):
   * says per datagram, by capture time, whether it may still read them. A pass
   * whose field readers all have one decodes the other datagrams roles only.
   */
  fieldsWanted?(analyzer: MessageAnalyzer<unknown>): (tUs: number) => boolean;
  /**
   * True when the analyzer reads `roles.entities` only while `onMessage` runs
   * and copies what it keeps (or never reads them): a pass whose analyses all
   * set it decodes entity roles into one reused pool (see
   * `CompileProtocolOptions.entityRoles`).
   */
  readonly copiesEntityRoles?: boolean;
  /**
   * True when the analyzer reads a message (the object, its `roles`) only
   * while `onMessage` runs and copies what it keeps: a pass whose analyses all
   * set it gets one reused message and roles object (see
   * `CompileProtocolOptions.messages`).
   */
  readonly copiesMessages?: boolean;
  /**
   * Tells the analyzer that feeding has ended, before any analyzer of the
   * pass is finished (and before `finish()`): it may start finishing work on a
   * helper thread (bandwidth's compression trials) while the others finish.
   */
  beginFinish?(analyzer: MessageAnalyzer<unknown>): void;
  /**
   * Stops the helper threads an analyzer may have started, or keeps them from
   * starting (when the run's threads already use every core); the analyzer
   * stays usable. Called for every analyzer when the run ends, finished or not.
   */
  dispose?(analyzer: MessageAnalyzer<unknown>): void;
  /** Extra options of the analysis's own subcommand (`tickscope <name> --tolerance ...`). */
  readonly commandOptions?: readonly { flags: string; description: string; parse?: (text: string, previous: unknown) => unknown }[];
  /** Turns those options into the analysis's settings. */
  settingsFromOptions?(options: Record<string, unknown>): Record<string, unknown>;
  /**
   * Adds what needs another pass over other inputs (e.g. one-way delay from a
   * `--server-capture`) to the report of the analysis's own subcommand.
   */
  augmentReport?(report: unknown, options: Record<string, unknown>, captures: readonly string[]): Promise<unknown>;
  /** Builds the report section from the analyzer's report. */
  toSection(report: unknown, context: AnalysisContext): AnalysisSection;
}
