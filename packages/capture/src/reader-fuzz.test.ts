import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMutations, checkContract, fuzzCase, MUTATION_KINDS, runTargetCases, type Mutation } from "./test-support/fuzz-harness.js";
import { readerFuzzTargets } from "./test-support/reader-fuzz-targets.js";

/**
 * The readers' fuzzing contract, short budget (a few seconds per reader; `pnpm
 * fuzz` runs the same targets for long): cut at every offset of every seed,
 * and random mutations drawn by fast-check. Only typed errors (TickscopeError
 * with a stable code) or counted anomalies may come out, each input within
 * FUZZ_TIME_LIMIT_MS, and the retained heap must not grow by more than 64 MB
 * over a reader's whole run.
 */
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const HEAP_GROWTH_LIMIT_BYTES = 64 * 1024 * 1024;

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(...MUTATION_KINDS),
  position: fc.nat(),
  value: fc.nat(),
});

function retainedHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

describe("reader fuzzing contract (issue 19)", () => {
  for (const target of readerFuzzTargets()) {
    describe(target.name, () => {
      it("holds for every prefix of every seed (cut at every offset)", async () => {
        const baseline = retainedHeap();
        const escapes: string[] = [];
        for (const seed of target.seeds) {
          for (let offset = 0; offset <= seed.length; offset++) {
            const message = await checkContract(target, seed.subarray(0, offset), offset);
            if (message !== undefined) escapes.push(`cut at ${offset}/${seed.length}: ${message}`);
          }
        }
        expect(escapes.slice(0, 5)).toEqual([]);
        expect(retainedHeap() - baseline).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
      }, 60_000);

      it("holds for random mutations (fast-check)", async () => {
        const baseline = retainedHeap();
        await fc.assert(
          fc.asyncProperty(fc.nat(target.seeds.length - 1), fc.nat(target.seeds.length - 1), fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }), fc.nat(1023), async (seedIndex, donorIndex, mutations, variant) => {
            const input = applyMutations(target.seeds[seedIndex], mutations, target.seeds[donorIndex], target.tokens, target.fields?.[seedIndex]);
            expect(await checkContract(target, input, variant)).toBeUndefined();
          }),
          { numRuns: 400, seed: 19 },
        );
        expect(retainedHeap() - baseline).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
      }, 60_000);
    });
  }

  it("reports untyped errors, unknown codes and slow inputs as escapes", async () => {
    const { TickscopeError } = await import("@tickscope/core");
    const target = { name: "fake", seeds: [Uint8Array.of(1)], tokens: [], run: () => undefined };
    expect(await checkContract({ ...target, run: () => JSON.parse("{") }, Uint8Array.of(), 0)).toMatch(/^untyped SyntaxError/);
    expect(await checkContract({ ...target, run: () => Promise.reject(new TickscopeError("E_NOPE" as never, "x")) }, Uint8Array.of(), 0)).toMatch(/unknown code E_NOPE/);
    expect(await checkContract({ ...target, run: () => new Promise((resolve) => setTimeout(resolve, 30)) }, Uint8Array.of(), 0, 5)).toMatch(/^took \d+ ms/);
    expect(await checkContract(target, Uint8Array.of(), 0)).toBeUndefined();
  });

  it("rebuilds the same input from a case seed (escapes printed by pnpm fuzz reproduce)", async () => {
    const [target] = readerFuzzTargets();
    expect(fuzzCase(target, 12345)).toEqual(fuzzCase(target, 12345));
    expect(await runTargetCases(target, 50, 7)).toEqual([]);
  });
});
