import type { MessageAnalyzer } from "./analyzer.js";

/**
 * Where a saved state's pass sits relative to the passes merged before it.
 * A pass is one run of the pipeline over one or more captures (one file of a
 * rotation, or one thread's share of the sessions of a capture).
 */
export interface MergePlacement {
  /**
   * Added to every packet index the state holds (evidence, first packets) so
   * indices continue across passes exactly as a single pass over the captures
   * in the same order numbers them: the packets of every capture of the passes
   * merged before. 0 for a thread's share of the same captures.
   */
  packetIndexOffset: number;
}

/**
 * An analyzer whose state can be saved as plain data and merged into another
 * analyzer of the same kind (`tickscope analyze --partial`, `tickscope merge`,
 * session-sharded threads, fleet workers).
 *
 * The contract, tested per analysis:
 * - `saveState()` ends feeding (like `finish()`) and returns the state as
 *   JSON-safe plain data: no class instances, Maps or typed arrays; no
 *   `undefined` array slots; bigints as decimal strings; non-finite numbers
 *   encoded explicitly. Its size is bounded like the analyzer's memory.
 * - `mergeState(state, placement)` folds a saved state into this analyzer.
 *   States are merged in capture order; merging into a fresh analyzer
 *   (created with the same options) and calling `finish()` gives exactly the
 *   report of the pass that saved it.
 * - Passes over disjoint sessions (threads sharing one capture's sessions, or
 *   files without common sessions) merge exactly: `finish()` of the merged
 *   analyzer is byte-identical (as JSON) to one pass over everything.
 * - A session found in two consecutive passes (a rotation cut it) continues:
 *   counts, bytes and loss/duplicate/reorder figures exactly as one pass;
 *   anything else as the analysis documents.
 * - A state that is not one this analyzer saved (wrong shape, version) is
 *   rejected with `E_BAD_PARTIAL`, never half-merged.
 */
export interface MergeableAnalyzer<Report, State> extends MessageAnalyzer<Report> {
  /** Version of the state's shape; bumped whenever the shape changes. */
  readonly stateVersion: number;
  /** Ends feeding and returns the state as JSON-safe plain data. */
  saveState(): State;
  /** Folds another pass's saved state into this analyzer (passes in capture order). */
  mergeState(state: State, placement: MergePlacement): void;
}

/** True when an analyzer implements {@link MergeableAnalyzer}. */
export function isMergeableAnalyzer<Report>(analyzer: MessageAnalyzer<Report>): analyzer is MergeableAnalyzer<Report, unknown> {
  const candidate = analyzer as Partial<MergeableAnalyzer<Report, unknown>>;
  return typeof candidate.saveState === "function" && typeof candidate.mergeState === "function" && typeof candidate.stateVersion === "number";
}
