import { isMergeableAnalyzer } from "@tickscope/core";
import type { ProtocolDefinition } from "@tickscope/core/protocol";
import { adapterFor } from "../analyses/registry.js";
import { ANALYSIS_NAMES, type AnalysisName } from "../analysis-section.js";

/** The analyses whose analyzers (as `analyze` creates them, with `definition`) can save and merge their state in this build. */
export function mergeableAnalyses(definition: ProtocolDefinition | undefined): AnalysisName[] {
  const context = { definition, regionOfSession: new Map(), sessions: [], clientLocations: new Map(), serverSites: {}, settings: {} };
  return ANALYSIS_NAMES.filter((name) => isMergeableAnalyzer(adapterFor(name).create(context)));
}
