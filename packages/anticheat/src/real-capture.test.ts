import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatReport } from "./anticheat-report.js";

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));

describe("real capture: Firefall 1869 (an honest session)", () => {
  it.skipIf(!hasSharedCaptures)(
    `has no speedhack, lag switch or replay findings; resends are counted as retransmissions${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`,
    async () => {
      const definition = JSON.parse(readFileSync(`${examples}firefall.json`, "utf8")) as ProtocolDefinition;
      const analyzer = new AnticheatAnalyzer({ protocol: definition });
      const result = await runCapturePipeline({
        sources: [sharedCapturePath("firefall_1869_gameplay.pcapng")],
        decoder: compileProtocol(definition),
        serverPorts: [25000, 59238],
        analyzers: [analyzer],
      });
      const report = result.reports[0] as AnticheatReport;
      expect(report.summary.clientMessages).toBeGreaterThan(5000);
      expect(report.summary.legitimateRetransmissions).toBeGreaterThan(0);
      const kinds = report.findings.map((finding) => finding.kind);
      for (const kind of ["speedhack", "lagSwitch", "replay"]) expect(kinds).not.toContain(kind);
      expect(report.audit.map((finding) => finding.id)).toContain("audit.noAuthentication");
    },
    120_000,
  );
});

/** Runs the analyzer over a shared capture with an example definition. */
async function analyzeShared(capture: string, definitionName: string, serverPorts: number[] = []): Promise<AnticheatReport> {
  const definition = JSON.parse(readFileSync(`${examples}${definitionName}.json`, "utf8")) as ProtocolDefinition;
  const analyzer = new AnticheatAnalyzer({ protocol: definition });
  const result = await runCapturePipeline({ sources: [sharedCapturePath(capture)], decoder: compileProtocol(definition), serverPorts, analyzers: [analyzer] });
  return result.reports[0] as AnticheatReport;
}

describe("real captures: nobody honest is called a cheater", () => {
  for (const capture of ["sipp_g711a.pcap", "ndpi_skinny.pcap", "ndpi_geforcenow.pcapng"]) {
    it.skipIf(!hasSharedCaptures)(`${capture} with rtp.json: no player cheating or suspicious${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`, async () => {
      const report = await analyzeShared(capture, "rtp");
      expect(report.players.length).toBeGreaterThan(0);
      // notTested: a one-way stream (the server sends, the client nothing decoded) is judged by nobody
      for (const player of report.players) expect(["clean", "unreadable", "notTested"], `${player.player}: ${player.kinds.join(",")}`).toContain(player.verdict);
    }, 120_000);
  }

  it.skipIf(!hasSharedCaptures)(`Firefall decoded with the wrong definition (rtp.json) is a definitionMismatch, not a cheater${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`, async () => {
    const report = await analyzeShared("firefall_1869_gameplay.pcapng", "rtp");
    for (const player of report.players) expect(player.verdict === "cheating" || player.verdict === "suspicious", player.kinds.join(",")).toBe(false);
    const gameplay = report.players.find((player) => player.session.endsWith(":59238"));
    expect(gameplay?.verdict).toBe("unreadable");
    expect(report.findings.map((finding) => finding.kind)).toContain("definitionMismatch");
  }, 120_000);
});
