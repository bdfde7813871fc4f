import { describe, expect, it } from "vitest";
import { isMergeableAnalyzer } from "./mergeable-analyzer.js";
import type { MessageAnalyzer } from "./analyzer.js";

describe("isMergeableAnalyzer", () => {
  const plain: MessageAnalyzer<number> = { name: "plain", onMessage: () => undefined, finish: () => 0 };

  it("tells an analyzer that saves and merges state from one that does not", () => {
    expect(isMergeableAnalyzer(plain)).toBe(false);
    const mergeable = { ...plain, stateVersion: 1, saveState: () => ({}), mergeState: () => undefined };
    expect(isMergeableAnalyzer(mergeable)).toBe(true);
  });

  it("needs all three members", () => {
    const withoutVersion = { ...plain, saveState: () => ({}), mergeState: () => undefined };
    const withoutMerge = { ...plain, stateVersion: 1, saveState: () => ({}) };
    expect(isMergeableAnalyzer(withoutVersion)).toBe(false);
    expect(isMergeableAnalyzer(withoutMerge)).toBe(false);
  });
});
