import { describe, expect, it } from "vitest";
import { LayoutReencoder } from "./layout-reencoder.js";
import { bitsFor, deriveQuantization, toleranceFor } from "./quantization.js";
import type { RetainedMessage } from "./trace.js";

const reencoder = new LayoutReencoder([
  {
    type: "p",
    typeId: 1,
    typeIdBits: 8,
    fields: [
      { name: "pos", type: { kind: "struct", fields: [{ name: "x", type: { kind: "float32" } }] } },
      { name: "id", type: { kind: "uint", bits: 16 } },
      { name: "small", type: { kind: "uint", bits: 1 } },
      { name: "alive", type: { kind: "bool" } },
      { name: "tag", type: { kind: "bytes", lengthBits: 8 } },
    ],
  },
]);

function message(x: number, id: number): RetainedMessage {
  return {
    sessionId: "s",
    direction: "serverToClient",
    tUs: 0,
    packetIndex: 0,
    type: "p",
    byteLength: 10,
    fields: { pos: { x: Math.fround(x) }, id, small: 1, alive: true, tag: new Uint8Array([1]) },
    roles: {},
  };
}

describe("quantization", () => {
  it("looks tolerances up by exact path, then by the nearest path segment, then the default", () => {
    const tolerances = new Map([
      ["players[].pos.x", 0.5],
      ["pos", 0.1],
    ]);
    expect(toleranceFor("players[].pos.x", tolerances, 0.001)).toBe(0.5);
    expect(toleranceFor("players[].pos.y", tolerances, 0.001)).toBe(0.1);
    expect(toleranceFor("velocity.y", tolerances, 0.001)).toBe(0.001);
    expect(bitsFor(1)).toBe(1);
    expect(bitsFor(4)).toBe(2);
    expect(bitsFor(5)).toBe(3);
  });

  it("chooses bits from observed ranges and measures the error it introduces", () => {
    const messages = [message(0, 100), message(3, 103), message(1.005, 101), message(2.2, 102)];
    const plan = deriveQuantization(messages, reencoder, new Map([["pos", 0.01]]), 0.001);
    expect([...plan.specs.keys()]).toEqual(["id", "pos.x"]);
    // id: 100..103 → 4 values → 2 bits, lossless
    expect(plan.specs.get("id")).toEqual({ min: 100, step: 1, bits: 2 });
    // pos.x: 0..3 with step 0.02 → 152 levels → 8 bits
    expect(plan.specs.get("pos.x")).toEqual({ min: 0, step: 0.02, bits: 8 });
    const x = plan.leaves.find((leaf) => leaf.path === "pos.x")!;
    expect(x).toMatchObject({ originalBits: 32, bits: 8, tolerance: 0.01, min: 0, max: 3 });
    expect(x.maxError).toBeCloseTo(0.005, 6);
    expect(x.maxError).toBeLessThanOrEqual(0.01);
    expect(plan.leaves.find((leaf) => leaf.path === "id")!.maxError).toBe(0);
    expect(plan.maxError).toBe(x.maxError);
    // A scaled tolerance gives coarser steps.
    expect(deriveQuantization(messages, reencoder, new Map([["pos", 0.01]]), 0.001, 8).specs.get("pos.x")).toEqual({ min: 0, step: 0.16, bits: 5 });
  });

  it("leaves unknown types, non-finite values and fields that would not shrink alone", () => {
    const odd: RetainedMessage = { ...message(Number.NaN, 5), type: "unknown" };
    const broken: RetainedMessage = { ...message(1, 5), fields: { pos: 3 } };
    const plan = deriveQuantization([message(Number.NaN, 5), odd, broken], reencoder, new Map(), 0.001);
    expect([...plan.specs.keys()]).toEqual(["id"]);
    expect(plan.maxError).toBe(0);
  });
});
