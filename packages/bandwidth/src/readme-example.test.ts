import { expect, it } from "vitest";
import { createBandwidthAnalyzer, LayoutReencoder } from "./index.js";

it("README example runs and gives the figures it shows", () => {
  const reencoder = new LayoutReencoder([
    {
      type: "snapshot",
      typeId: 1,
      typeIdBits: 8,
      fields: [
        { name: "tick", type: { kind: "uint", bits: 32 } },
        {
          name: "entities",
          type: {
            kind: "array",
            countBits: 8,
            keyField: "id",
            element: {
              kind: "struct",
              fields: [
                { name: "id", type: { kind: "uint", bits: 16 } },
                { name: "x", type: { kind: "float32" } },
                { name: "y", type: { kind: "float32" } },
              ],
            },
          },
        },
      ],
    },
  ]);

  const analyzer = createBandwidthAnalyzer({ reencoder, tolerances: { x: 0.01, y: 0.01 } });
  for (let tick = 0; tick < 200; tick++) {
    const entities = Array.from({ length: 50 }, (_, id) => ({ id, x: id < 5 ? Math.fround(tick * 0.1) : id, y: 0 }));
    const fields = { tick, entities };
    analyzer.onMessage({
      sessionId: "client-1",
      direction: "serverToClient",
      tUs: 1_700_000_000_000_000 + tick * 50_000,
      packetIndex: tick,
      indexInPacket: 0,
      type: "snapshot",
      byteLength: reencoder.encode("snapshot", fields, {}).length,
      packetWireLength: 0,
      fields,
      roles: { sequence: tick, entities: entities.map((e) => ({ entityId: e.id, position: { x: e.x, y: e.y, z: 0 } })) },
    });
  }
  const report = analyzer.finish();
  const lines = report.plan.steps.map((step) => `${step.kind} ${(step.savingsRatio * 100).toFixed(1)}% maxError ${step.maxError}`);
  console.log(lines.join("\n"));
  expect(lines).toEqual(["quantization 75.3% maxError 7.63e-7", "deltaEncoding 86.5% maxError 7.63e-7", "updateRate 97.7% maxError 0.000001272"]);
  expect(report.measuredWindow.baselineMode).toBe("lastSent");
  expect(report.plan.steps[1]!.maxError).toBeLessThanOrEqual(0.01);
});
