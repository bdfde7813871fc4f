import type { TrialResult } from "./reencoding-trials.js";
import { savingsRatioInterval, type SavingsInterval } from "./savings-interval.js";

/**
 * 95% interval of a trial's savings ratio with the trace's time blocks as the
 * sampled units (clusters): each block's message bytes before (the identity
 * trial) and after (the trial), through {@link savingsRatioInterval}, drawn from
 * `populationBlocks` blocks (those the capture spans). With every block measured
 * it is the exact value.
 */
export function blockSavingsInterval(identity: Pick<TrialResult, "bytesByBlock">, trial: Pick<TrialResult, "bytesByBlock">, populationBlocks: number): SavingsInterval | undefined {
  const blocks = [...identity.bytesByBlock.keys()].sort((a, b) => a - b);
  const bytesBefore = blocks.map((block) => identity.bytesByBlock.get(block)!);
  const bytesAfter = blocks.map((block) => trial.bytesByBlock.get(block) ?? 0);
  return savingsRatioInterval(bytesBefore, bytesAfter, populationBlocks);
}
