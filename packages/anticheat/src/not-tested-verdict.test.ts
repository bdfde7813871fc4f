import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import { AnticheatReportSchema } from "./report-schema.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

// TypeBox is core's dependency, not this package's: load it from core (as input-problem.test.ts does).
const here = dirname(fileURLToPath(import.meta.url));
const { Value } = createRequire(join(here, "..", "..", "core", "package.json"))("@sinclair/typebox/value") as {
  Value: { Check(schema: unknown, value: unknown): boolean };
};

const T0 = 1_760_000_000_000_000;

describe("notTested verdict: no decoded client message, nothing judged", () => {
  it("gives notTested (never clean) to a session seen only as datagrams (no protocol definition)", () => {
    const analyzer = new AnticheatAnalyzer();
    for (let index = 0; index < 20; index++) {
      analyzer.onPacket({ sessionId: "udp:a", direction: index % 2 === 0 ? "clientToServer" : "serverToClient", tUs: T0 + index * 50_000, packetIndex: index, wireLength: 80, payloadLength: 38, frameCount: 1 });
    }
    const report = analyzer.finish();
    expect(report.players).toEqual([{ player: "udp:a", session: "udp:a", verdict: "notTested", score: 0, kinds: [] }]);
    expect(Value.Check(AnticheatReportSchema, report)).toBe(true);
  });

  it("gives notTested to a session whose client sent nothing decoded (a one-way server stream), clean to one with client messages", () => {
    const oneWay = new StreamBuilder("udp:one-way");
    const twoWay = new StreamBuilder("udp:two-way");
    for (let frame = 0; frame < 120; frame++) {
      oneWay.server(T0 + frame * 20_000, "snapshot", { sequence: frame });
      twoWay.client(T0 + frame * 20_000, "input", { sequence: frame });
      twoWay.server(T0 + frame * 20_000 + 5_000, "snapshot", { sequence: frame });
    }
    const analyzer = new AnticheatAnalyzer();
    for (const message of [...oneWay.messages, ...twoWay.messages].sort((a, b) => a.tUs - b.tUs)) analyzer.onMessage(message);
    const report = analyzer.finish();
    const verdicts = Object.fromEntries(report.players.map((player) => [player.session, player.verdict]));
    expect(verdicts).toEqual({ "udp:one-way": "notTested", "udp:two-way": "clean" });
    expect(Value.Check(AnticheatReportSchema, report)).toBe(true);
  });

  it("rejects an unknown verdict in the schema", () => {
    const report = new AnticheatAnalyzer().finish();
    expect(Value.Check(AnticheatReportSchema, { ...report, players: [{ player: "p", session: "s", verdict: "untested", score: 0, kinds: [] }] })).toBe(false);
  });
});
