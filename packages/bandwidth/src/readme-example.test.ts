import { expect, it } from "vitest";
import { createBandwidthAnalyzer, LayoutReencoder, type BandwidthAnalyzerState } from "./index.js";

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

it("README saving-and-merging example runs and merges two threads' states into the one-pass report", () => {
  const options = { maxRetainedMessages: 50_000 };
  const feed = (pass: ReturnType<typeof createBandwidthAnalyzer>, sessions: readonly string[]): void => {
    for (const sessionId of sessions) {
      for (let tick = 0; tick < 100; tick++) {
        const packetIndex = tick * 2 + (sessionId === "client-1" ? 0 : 1);
        const tUs = 1_700_000_000_000_000 + packetIndex * 25_000;
        pass.onPacket({ sessionId, direction: "serverToClient", tUs, packetIndex, wireLength: 90, payloadLength: 48, frameCount: 1 });
        pass.onMessage({ sessionId, direction: "serverToClient", tUs, packetIndex, indexInPacket: 0, type: "snapshot", byteLength: 48, packetWireLength: 90, fields: { tick }, roles: {} });
      }
    }
  };
  const shards = ["client-1", "client-2"].map((sessionId) => {
    const pass = createBandwidthAnalyzer(options);
    feed(pass, [sessionId]);
    return JSON.stringify(pass.saveState());
  });
  const merged = createBandwidthAnalyzer(options);
  for (const text of shards) merged.mergeState(JSON.parse(text) as BandwidthAnalyzerState, { packetIndexOffset: 0 });
  expect([merged.finish().totals.packets, merged.finish().totals.wireBytes]).toEqual([200, 18000]);
  // One pass in capture order (the two sessions interleaved) gives the same report.
  const single = createBandwidthAnalyzer(options);
  const events: [string, number][] = [];
  for (let tick = 0; tick < 100; tick++) for (const sessionId of ["client-1", "client-2"]) events.push([sessionId, tick]);
  for (const [sessionId, tick] of events) {
    const packetIndex = tick * 2 + (sessionId === "client-1" ? 0 : 1);
    const tUs = 1_700_000_000_000_000 + packetIndex * 25_000;
    single.onPacket({ sessionId, direction: "serverToClient", tUs, packetIndex, wireLength: 90, payloadLength: 48, frameCount: 1 });
    single.onMessage({ sessionId, direction: "serverToClient", tUs, packetIndex, indexInPacket: 0, type: "snapshot", byteLength: 48, packetWireLength: 90, fields: { tick }, roles: {} });
  }
  expect(JSON.stringify(merged.finish())).toBe(JSON.stringify(single.finish()));
});
