import type { DecodeAnomaly, GameMessage } from "@tickscope/core";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatReport } from "./anticheat-report.js";
import type { DetectorEvent } from "./detector.js";
import { implausibleRoles, INPUT_PROBLEM_HINTS, INPUT_PROBLEM_KINDS, isInputProblemKind } from "./input-problem.js";
import { DEFAULT_ANTICHEAT_OPTIONS } from "./options.js";
import { AnticheatReportSchema } from "./report-schema.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

// TypeBox is core's dependency, not this package's: load it from core (as protocol-audit.test.ts does).
const here = dirname(fileURLToPath(import.meta.url));
const { Value } = createRequire(join(here, "..", "..", "core", "package.json"))("@sinclair/typebox/value") as {
  Value: { Check(schema: unknown, value: unknown): boolean };
};

const T0 = 1_760_000_000_000_000;
const CLOCK0 = 5_000_000_000;
const FRAME_US = 1_000_000 / 60;

function run(messages: readonly GameMessage[], anomalies: readonly DecodeAnomaly[]): AnticheatReport {
  const analyzer = new AnticheatAnalyzer();
  const events = [...messages.map((message) => ({ tUs: message.tUs, message })), ...anomalies.map((anomaly) => ({ tUs: anomaly.tUs, anomaly }))];
  events.sort((a, b) => a.tUs - b.tUs);
  for (const event of events) {
    if ("message" in event) analyzer.onMessage(event.message);
    else analyzer.onAnomaly(event.anomaly);
  }
  return analyzer.finish();
}

/** netcode-like session: connection requests (unauthenticated, sequence 0) for 1 s, then 10 s of datagrams. */
function netcodeSession(fault: "wrongKey" | "noKey" | "wrongDefinition" | undefined, tamperedEvery = 0): { messages: GameMessage[]; anomalies: DecodeAnomaly[] } {
  const builder = new StreamBuilder();
  const anomalies: DecodeAnomaly[] = [];
  for (let index = 0; index < 10; index++) builder.client(T0 + index * 100_000, "connectionRequest", { sequence: 0, sequenceBits: 64 });
  for (let frame = 0; frame < 600; frame++) {
    const tUs = T0 + 1e6 + frame * FRAME_US;
    if (frame % 3 === 0) {
      if (fault === undefined) builder.server(tUs - 5000, "keepAlive", { sequence: frame, sequenceBits: 64, authenticated: true });
      else anomalies.push(builder.anomaly(tUs - 5000, fault === "wrongKey" ? "E_DECRYPT_FAILED" : fault === "noKey" ? "E_KEY_MISSING" : "E_VALUE_OUT_OF_RANGE", "serverToClient"));
    }
    if (fault !== undefined || (tamperedEvery > 0 && frame % tamperedEvery === 0)) {
      anomalies.push(builder.anomaly(tUs, fault === "wrongDefinition" ? "E_VALUE_OUT_OF_RANGE" : fault === "noKey" ? "E_KEY_MISSING" : "E_DECRYPT_FAILED"));
    } else {
      builder.client(tUs, "payload", { sequence: 1000 + frame, sequenceBits: 64, sendTimeUs: CLOCK0 + frame * FRAME_US, authenticated: true });
    }
  }
  return { messages: builder.messages, anomalies };
}

describe("input problems (key or definition), not players", () => {
  it("reports a session whose every datagram fails authentication as keyMismatch and judges nobody", () => {
    const { messages, anomalies } = netcodeSession("wrongKey");
    const report = run(messages, anomalies);
    expect(report.findings.map((finding) => finding.kind)).toEqual(["keyMismatch"]);
    const finding = report.findings[0]!;
    expect(finding.severity).toBe("high");
    expect(finding.mitigation).toBe(INPUT_PROBLEM_HINTS.keyMismatch);
    expect(finding.summary).toContain("600 of 610 client datagrams fail authentication");
    expect(finding.summary).toContain("200 server datagrams fail too");
    expect(finding.evidence.values).toMatchObject({ clientDatagramsFailingAuthentication: 600, clientDatagramsReadable: 10, serverDatagramsFailingAuthentication: 200 });
    expect(report.players).toEqual([{ player: "session-a", session: "session-a", verdict: "unreadable", score: 0, kinds: ["keyMismatch"] }]);
    expect(report.summary.inputProblemSessions).toBe(1);
    expect(Value.Check(AnticheatReportSchema, report)).toBe(true);
  });

  it("reports a session without any key (E_KEY_MISSING, e.g. no --keys) as keyMissing, not a wrong key", () => {
    const { messages, anomalies } = netcodeSession("noKey");
    const report = run(messages, anomalies);
    expect(report.findings.map((finding) => finding.kind)).toEqual(["keyMissing"]);
    const finding = report.findings[0]!;
    expect(finding.mitigation).toBe(INPUT_PROBLEM_HINTS.keyMissing);
    expect(finding.mitigation).toContain("--keys");
    expect(finding.mitigation).not.toMatch(/check the key file/i);
    expect(finding.summary).toContain("600 of 610 client datagrams cannot be decrypted: no key for this session and direction (E_KEY_MISSING)");
    expect(finding.summary).toContain("no key was given for this session");
    expect(finding.evidence.values).toMatchObject({ clientDatagramsFailingAuthentication: 600, clientDatagramsWithoutKey: 600 });
    expect(report.players).toEqual([{ player: "session-a", session: "session-a", verdict: "unreadable", score: 0, kinds: ["keyMissing"] }]);
    expect(Value.Check(AnticheatReportSchema, report)).toBe(true);
    // a wrong key stays keyMismatch (no E_KEY_MISSING among its failures)
    expect(run(...Object.values(netcodeSession("wrongKey")) as [GameMessage[], DecodeAnomaly[]]).findings[0]!.evidence.values).toMatchObject({ clientDatagramsWithoutKey: 0 });
  });

  it("reports a session whose every datagram fails to decode as definitionMismatch", () => {
    const { messages, anomalies } = netcodeSession("wrongDefinition");
    const report = run(messages, anomalies);
    expect(report.findings.map((finding) => finding.kind)).toEqual(["definitionMismatch"]);
    expect(report.findings[0]!.summary).toContain("fail to decode with this definition");
    expect(report.players[0]!.verdict).toBe("unreadable");
  });

  it("still calls a minority of failures amid verified traffic tampering, and handshake retries no replay", () => {
    const { messages, anomalies } = netcodeSession(undefined, 50);
    const report = run(messages, anomalies);
    expect(report.findings.map((finding) => finding.kind)).toEqual(["tampering"]);
    expect(report.findings[0]!.evidence.values).toMatchObject({ E_DECRYPT_FAILED: 12, readableDatagrams: 588 });
    expect(report.summary.handshakeRetries).toBeGreaterThan(0);
    expect(report.summary.inputProblemSessions).toBe(0);
  });

  it("an honest netcode session is clean: its connection-request retries are no replay", () => {
    const { messages, anomalies } = netcodeSession(undefined);
    const report = run(messages, anomalies);
    expect(report.findings).toEqual([]);
    expect(report.summary.handshakeRetries).toBe(4);
  });

  it("calls implausible roles (a definition decoding another protocol) a definitionMismatch", () => {
    const event = (kind: DetectorEvent["kind"], values: DetectorEvent["values"]): DetectorEvent => ({ kind, startUs: T0, endUs: T0 + 1e6, confidence: 0.99, summary: "", values, packetIndices: [1, 2] });
    const problem = implausibleRoles([event("speedhack", { meanClockRate: 186_241 }), event("replay", { replays: 900 }), event("lagSwitch", {})], 1000, DEFAULT_ANTICHEAT_OPTIONS)!;
    expect(problem.kind).toBe("definitionMismatch");
    expect(problem.summary).toContain("186241× real time");
    expect(problem.summary).toContain("90% of the sequenced datagrams");
    expect(problem.packetIndices).toEqual([1, 2, 1, 2]);
    expect(implausibleRoles([event("speedhack", { meanClockRate: 1e-4 })], 0, DEFAULT_ANTICHEAT_OPTIONS)?.values.meanClockRate).toBe(1e-4);
    expect(implausibleRoles([event("speedhack", { meanClockRate: 2 }), event("replay", { replays: 10 })], 1000, DEFAULT_ANTICHEAT_OPTIONS)).toBeUndefined();
    expect(implausibleRoles([event("replay", { replays: 10 })], 0, DEFAULT_ANTICHEAT_OPTIONS)).toBeUndefined();
  });

  it("names its kinds", () => {
    expect(INPUT_PROBLEM_KINDS).toEqual(["keyMismatch", "keyMissing", "definitionMismatch"]);
    expect(isInputProblemKind("keyMismatch")).toBe(true);
    expect(isInputProblemKind("keyMissing")).toBe(true);
    expect(isInputProblemKind("definitionMismatch")).toBe(true);
    expect(isInputProblemKind("tampering")).toBe(false);
  });
});
