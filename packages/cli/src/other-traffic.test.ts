import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { hasSharedCaptures, repositoryRoot, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { inspectCaptures } from "@tickscope/capture";
import { renderInspectText } from "./commands/inspect.js";
import { renderMarkdown } from "./formats/markdown-format.js";
import { AnalyzeReportSchema, buildReportDocument } from "./report-document.js";
import { runAnalyze } from "./run-analyze.js";
import { runInMemory } from "./test-support/run.js";
import { ExitCode } from "./exit-code.js";

const protocol = (name: string) => join(repositoryRoot, "examples", "protocols", `${name}.json`);

describe.skipIf(!hasSharedCaptures)(`other traffic in analyze and inspect (${hasSharedCaptures ? "public captures" : sharedCapturesSkipReason})`, () => {
  it("ndpi_geforcenow with rtp.json: STUN/DTLS and TLS are other traffic, the client is not a cheater, the report says so in md and JSON", async () => {
    const result = await runAnalyze({ inputs: [{ path: sharedCapturePath("ndpi_geforcenow.pcapng") }], protocolPath: protocol("rtp"), analyses: ["anticheat", "bandwidth"] });
    expect(result.decodeAnomalies).toEqual({});
    expect(result.sessions.map((session) => [session.id, session.serverRule])).toEqual([["udp:192.168.1.245:52441-80.84.167.206:18452", "ephemeralPort"]]);
    expect(result.otherTraffic).toMatchObject({ packets: 94, bytes: 6509 + 48651, flowCount: 2, byReason: { datagramMatch: { packets: 40, bytes: 6509 }, transport: { packets: 54, bytes: 48651 } } });
    const anticheat = result.sections.find((section) => section.analysis === "anticheat")!;
    expect(anticheat.answer.join(" ")).not.toMatch(/tampering|cheating:/);
    expect(anticheat.findings.filter((finding) => finding.severity === "high" || finding.severity === "critical")).toEqual([]);
    const markdown = renderMarkdown(result);
    expect(markdown).toContain("Other traffic (not the game's: never decoded, never a session): 94 packets, 55160 bytes in 2 flow(s); packets by reason: failed the definition's match 40, not UDP 54");
    expect(markdown).toContain("Server side decided by: ephemeralPort × 1.");
    const document = buildReportDocument(result);
    const validate = new Ajv({ strict: false }).compile(JSON.parse(JSON.stringify(AnalyzeReportSchema)));
    expect(validate(JSON.parse(JSON.stringify(document))), JSON.stringify(validate.errors)).toBe(true);
    expect(document.report.otherTraffic?.flows.map((flow) => [flow.transport, flow.reason, flow.packets, flow.gamePackets])).toEqual([
      ["tcp", "transport", 54, 0],
      ["udp", "datagramMatch", 40, 14],
    ]);
    expect(document.report.sessions[0]!.serverRule).toBe("ephemeralPort");
  });

  it("--server-port restricts decoding: firefall's handshake flow only, the game flow is other traffic", async () => {
    const result = await runAnalyze({ inputs: [{ path: sharedCapturePath("firefall_1869_gameplay.pcapng") }], protocolPath: protocol("firefall"), serverPorts: [25000], analyses: ["bandwidth"] });
    expect(result.sessions.map((session) => [session.id, session.serverRule])).toEqual([["udp:192.168.1.111:58637-52.16.251.62:25000", "serverPort"]]);
    expect(result.otherTraffic).toMatchObject({ packets: 30682, flowCount: 1, byReason: { serverPort: { packets: 30682 } }, ports: [{ transport: "udp", port: 59238, flows: 1 }] });
    expect(result.decodeAnomalies).toEqual({});
  });

  it("inspect prints the server rule per flow and an other-traffic table", async () => {
    const inspected = await inspectCaptures([sharedCapturePath("ndpi_geforcenow.pcapng")], {
      decoder: (await import("./load-inputs.js")).loadProtocolObject(JSON.parse((await import("node:fs")).readFileSync(protocol("rtp"), "utf8"))).protocol,
    });
    const text = renderInspectText(inspected);
    expect(text).toContain("| server | decided by |");
    expect(text).toContain("## other traffic");
    expect(text).toContain("| udp | 192.168.1.245:52441 | 80.84.167.206:18452 | 80.84.167.206:18452 | datagramMatch | 40 | 6509 | 14 |");
    const run = await runInMemory(["inspect", sharedCapturePath("ndpi_geforcenow.pcapng"), "--protocol", protocol("rtp"), "--json"]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(run.stdout).otherTraffic.packets).toBe(94);
  });
});

describe("protocol check and match sections", () => {
  const directory = mkdtempSync(join(tmpdir(), "tickscope-match-"));
  const withDatagram = (condition: unknown): string => {
    const definition = JSON.parse(readFileSync(protocol("arena"), "utf8")) as { match: { datagram: unknown[] } };
    definition.match.datagram = [condition];
    const path = join(directory, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(definition));
    return path;
  };

  it("prints the match section of a good definition", async () => {
    const run = await runInMemory(["protocol", "check", protocol("rtp")]);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toContain("match: never ports 0-1023, 1900, 5060, 5061, 5353, 5355; ≥ 12 bytes; version = 2;");
  });

  for (const [condition, message] of [
    [{ field: "ackBitz", equals: 1 }, '/match/datagram/0/field: "ackBitz" is not a field at a fixed offset'],
    [{ field: "sequence", min: 5, max: 2 }, "/match/datagram/0/min: min 5 is above max 2"],
    [{ offset: 0, bytes: 9, equals: 1 }, "/match/datagram/0/bytes"],
    [{ field: "protocolId", equals: 2 ** 40 }, "/match/datagram/0/equals: 1099511627776 does not fit in 32 unsigned bits"],
  ] as const) {
    it(`rejects a bad match condition with its JSON path (${message.split(":")[0]})`, async () => {
      const run = await runInMemory(["protocol", "check", withDatagram(condition)]);
      expect(run.code).not.toBe(ExitCode.ok);
      expect(run.stderr).toContain("E_DEFINITION_INVALID");
      expect(run.stderr).toContain(message);
    });
  }
});
