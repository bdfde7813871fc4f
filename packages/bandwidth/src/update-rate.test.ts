import { describe, expect, it } from "vitest";
import { LayoutReencoder } from "./layout-reencoder.js";
import type { RetainedMessage } from "./trace.js";
import { measureInterpolationError, stateTypes } from "./update-rate.js";

function object(t: number, x: number, counter = t): RetainedMessage {
  return {
    sessionId: "s",
    direction: "serverToClient",
    tUs: t * 1e6,
    packetIndex: t,
    type: "obj",
    byteLength: 8,
    fields: { pos: { x }, counter, items: [{ id: 4, v: x }] },
    roles: { position: { x, y: 0, z: 0 } },
  };
}

const reencoder = new LayoutReencoder([
  {
    type: "obj",
    typeId: 1,
    typeIdBits: 8,
    fields: [
      { name: "pos", type: { kind: "struct", fields: [{ name: "x", type: { kind: "float64" } }] } },
      { name: "counter", type: { kind: "uint", bits: 16 } },
      {
        name: "items",
        type: { kind: "array", countBits: 4, keyField: "id", element: { kind: "struct", fields: [{ name: "id", type: { kind: "uint", bits: 8 } }, { name: "v", type: { kind: "float64" } }] } },
      },
    ],
  },
]);

describe("update-rate reduction", () => {
  it("finds state types (entity or position roles, enough messages)", () => {
    const messages = [0, 1, 2].map((t) => object(t, t));
    expect(stateTypes(messages, 3)).toEqual(["obj"]);
    expect(stateTypes(messages, 4)).toEqual([]);
    expect(stateTypes([{ ...object(0, 0), roles: {} }], 1)).toEqual([]);
  });

  it("measures zero error on linear motion and the exact error on quadratic motion", () => {
    const linear = [0, 1, 2, 3, 4].map((t) => object(t, 2 * t + 0.5));
    expect(measureInterpolationError(linear, ["obj"], 2, reencoder)).toEqual({ every: 2, maxError: 0, worstPath: "", measuredMessages: 2, medianIntervalUs: 1e6 });
    // x = t² + 0.5: interpolating t = 1 between t = 0 and 2 gives 2.5 instead of 1.5 → error 1
    const quadratic = [0, 1, 2, 3, 4].map((t) => object(t, t * t + 0.5, t * 1000));
    const withLayout = measureInterpolationError(quadratic, ["obj"], 2, reencoder);
    expect(withLayout).toMatchObject({ maxError: 1, worstPath: "pos.x", measuredMessages: 2 });
    // Without a layout, integer leaves (the counter) are not interpolated either.
    const withoutLayout = measureInterpolationError(quadratic, ["obj"], 2, undefined);
    expect(withoutLayout.maxError).toBe(1);
    // every = 4: t = 1, 2, 3 between t = 0 and t = 4: worst at t = 2 (8.5 vs 4.5)
    expect(measureInterpolationError(quadratic, ["obj"], 4, reencoder).maxError).toBe(4);
    expect(measureInterpolationError(quadratic, ["other"], 2, reencoder)).toMatchObject({ measuredMessages: 0, medianIntervalUs: 0 });
  });
});
