import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLossAnalyzer } from "./loss-analyzer.js";
import { messagesFromSequences } from "./test-support/synthetic.js";

describe("sequence accounting properties", () => {
  it("for any small reorder/duplicate/drop of a 16-bit sequence run (wrapping or not): exact loss, no phantom loss", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 2, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 299 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 299 }), { maxLength: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 299 }), fc.integer({ min: 1, max: 5 })), { maxLength: 20 }),
        (start, count, drops, duplicates, swaps) => {
          const offsets = Array.from({ length: count }, (_, index) => index);
          const dropped = new Set(drops.filter((offset) => offset > 0 && offset < count - 1));
          let order = offsets.filter((offset) => !dropped.has(offset));
          for (const [position, distance] of swaps) {
            const from = position % order.length;
            const to = Math.min(order.length - 1, from + distance);
            [order[from], order[to]] = [order[to]!, order[from]!];
          }
          // Keep the first and last in place so the observable range is the whole run.
          order = [0, ...order.filter((offset) => offset !== 0 && offset !== count - 1), count - 1];
          const withDuplicates = [...order];
          for (const duplicate of duplicates) {
            const offset = order[duplicate % order.length]!;
            withDuplicates.splice(withDuplicates.indexOf(offset) + 1, 0, offset);
          }
          const analyzer = createLossAnalyzer();
          for (const message of messagesFromSequences(
            withDuplicates.map((offset) => (start + offset) % 65536),
            { sequenceBits: 16, intervalMs: 1 },
          )) {
            analyzer.onMessage(message);
          }
          const row = analyzer.finish().sessions[0]!;
          expect(row.expected).toBe(count);
          expect(row.lost).toBe(dropped.size);
          expect(row.received + row.lost).toBe(row.expected);
          expect(row.duplicates).toBe(withDuplicates.length - order.length);
          expect(row.resets.count).toBe(0);
          expect(row.rfc3550!.lost).toBe(row.lost - row.duplicates);
        },
      ),
      { numRuns: 120, seed: 42 },
    );
  }, 60_000);
});
