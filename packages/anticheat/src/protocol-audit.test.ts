import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import { auditProtocol } from "./protocol-audit.js";
import { AnticheatReportSchema, AuditFindingSchema } from "./report-schema.js";

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, "..", "..", "..", "examples", "protocols");
const load = (name: string): unknown => JSON.parse(readFileSync(join(examples, `${name}.json`), "utf8"));
// TypeBox is core's dependency; load it from there to validate against the schema.
const { Value } = createRequire(join(here, "..", "..", "core", "package.json"))("@sinclair/typebox/value") as {
  Value: { Check(schema: unknown, value: unknown): boolean };
};

const ids = (definition: unknown) => auditProtocol(definition).map((finding) => finding.id);

describe("protocol audit of the example definitions", () => {
  it("flags the missing MAC on arena and firefall, not on netcode", () => {
    expect(ids(load("arena"))).toContain("audit.noAuthentication");
    expect(ids(load("firefall"))).toContain("audit.noAuthentication");
    expect(ids(load("netcode"))).not.toContain("audit.noAuthentication");
    expect(ids(load("netcode"))).not.toContain("audit.noReplayWindow");
  });

  it("explains firefall's XOR obfuscation is not authentication", () => {
    const finding = auditProtocol(load("firefall")).find((entry) => entry.id === "audit.noAuthentication")!;
    expect(finding.severity).toBe("critical");
    expect(finding.exploit).toMatch(/XOR/);
    expect(finding.fix).toMatch(/AEAD/);
  });

  it("finds arena's client-authoritative fields with exploit and fix", () => {
    const audit = auditProtocol(load("arena"));
    expect(audit.map((finding) => `${finding.id}@${finding.location ?? ""}`)).toEqual(
      expect.arrayContaining([
        "audit.clientAuthoritativePosition@shot.x",
        "audit.clientRewindRequest@shot.targetTimeUs",
        "audit.clientReportedLatency@input.reportedRttMs",
        "audit.noReplayWindow@header.sequence",
        "audit.noRateLimit@",
      ]),
    );
    for (const finding of audit) expect(Value.Check(AuditFindingSchema, finding)).toBe(true);
  });
});

describe("protocol audit rules", () => {
  it("flags unbounded lengths, hit results, missing sequences; accepts MAC fields and plugins", () => {
    const definition = {
      name: "toy",
      body: { repeat: "untilEnd", select: { message: "hit" } },
      types: { loop: { type: "ref", ref: "loop" } },
      messages: [
        {
          name: "hit",
          description: "client -> server: the client says it hit someone",
          fields: [
            { name: "victimId", type: "u16" },
            { name: "damage", type: "u8" },
            { name: "names", type: "array", count: { prefix: "u8" }, of: { type: "string", length: { prefix: "u8" } } },
            { name: "blob", type: "bytes", length: "rest" },
            { name: "fixed", type: "bytes", length: 4 },
            { name: "fixedArray", type: "array", count: 3, of: { type: "u8" } },
            { name: "variant", type: "switch", on: "damage", cases: [{ value: 1, fields: [{ name: "extra", type: "string", length: { prefix: "u8" }, maxLength: 8 }] }], default: { fields: [{ name: "other", type: "u8" }] } },
            { name: "cycle", type: "ref", ref: "loop" },
          ],
        },
        { name: "state", description: "server -> client", fields: [{ name: "x", type: "f32", role: "position.x" }] },
        "not a message",
      ],
    };
    const audit = auditProtocol(definition);
    expect(audit.map((finding) => finding.id)).toEqual([
      "audit.clientAuthoritativeHit",
      "audit.noAuthentication",
      "audit.noReplayWindow",
      "audit.unboundedLength",
      "audit.unboundedLength",
      "audit.unboundedLength",
      "audit.unboundedLength",
      "audit.noRateLimit",
    ]);
    expect(audit.find((finding) => finding.id === "audit.noReplayWindow")!.title).toMatch(/No sequence number/);
    expect(audit.filter((finding) => finding.id === "audit.unboundedLength").map((finding) => finding.location)).toEqual(["body", "hit.blob", "hit.names", "hit.names[]"]);

    const withMac = { name: "mac", header: [{ name: "sequence", type: "u32", role: "sequence" }, { name: "tag", type: "bytes", length: 16, role: "mac" }], body: { repeat: "once", select: { message: "m" } }, messages: [{ name: "m", fields: [] }], rateLimit: 60 };
    expect(ids(withMac)).toEqual([]);
    const plugin = { name: "p", transforms: [{ kind: "plugin", plugin: "hmacSha256" }], body: { cases: [{ value: 1, body: { transforms: [{ kind: "xor" }] } }], default: { frameHeader: [{ name: "len", type: "u8" }] } }, messages: [] };
    expect(ids(plugin)).toEqual(["audit.noReplayWindow", "audit.noRateLimit"]);
  });

  it("never throws on hostile input", () => {
    expect(ids(null)).toEqual(["audit.notADefinition"]);
    expect(ids([1, 2])).toEqual(["audit.notADefinition"]);
    let deep: Record<string, unknown> = { name: "leaf", type: "u8" };
    for (let depth = 0; depth < 200; depth++) deep = { name: `level${depth}`, type: "struct", fields: [deep] };
    expect(() => auditProtocol({ name: "deep", body: {}, messages: [{ name: "m", fields: [deep] }] })).not.toThrow();
  });
});

describe("report schema", () => {
  it("validates a report with findings and audit, and rejects a broken one", () => {
    const analyzer = new AnticheatAnalyzer({ protocol: load("arena") });
    analyzer.onMessage({ sessionId: "s", direction: "clientToServer", tUs: 1, packetIndex: 0, indexInPacket: 0, type: "input", byteLength: 1, packetWireLength: 43, fields: {}, roles: { authenticated: false } });
    const report = analyzer.finish();
    expect(report.audit.length).toBeGreaterThan(0);
    expect(report.findings).toHaveLength(1);
    expect(Value.Check(AnticheatReportSchema, report)).toBe(true);
    expect(Value.Check(AnticheatReportSchema, { ...report, players: [{ player: "x", session: "s", verdict: "maybe", score: 2, kinds: [] }] })).toBe(false);
  });
});
