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
