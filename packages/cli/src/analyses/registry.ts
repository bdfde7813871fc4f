import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { AnalysisName } from "../analysis-section.js";
import type { AnalysisAdapter } from "./analysis-adapter.js";
import { anticheatAdapter } from "./anticheat.js";
import { bandwidthAdapter } from "./bandwidth.js";
import { latencyAdapter } from "./latency.js";
import { lossAdapter } from "./loss.js";
import { regionsAdapter } from "./regions.js";

const ADAPTERS: Partial<Record<AnalysisName, AnalysisAdapter>> = {
  latency: latencyAdapter,
  loss: lossAdapter,
  bandwidth: bandwidthAdapter,
  anticheat: anticheatAdapter,
  regions: regionsAdapter,
};

/** Analyses available in this build of the CLI, in report order. */
export function availableAnalyses(): AnalysisName[] {
  return (["latency", "loss", "bandwidth", "anticheat", "regions"] as const).filter((name) => ADAPTERS[name] !== undefined);
}

/** The adapter of one analysis. */
export function adapterFor(name: AnalysisName): AnalysisAdapter {
  const adapter = ADAPTERS[name];
  if (adapter === undefined) {
    throw new TickscopeError(ErrorCode.invalidOption, `analysis '${name}' is not available in this build`, {
      hint: `available: ${availableAnalyses().join(", ")}`,
    });
  }
  return adapter;
}
