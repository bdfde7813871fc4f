import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runCapturePipeline } from "@tickscope/capture";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer, compileProtocol, type AnticheatReport } from "./index.js";

/** The README example (anticheat + capture only), run on the Firefall capture. */
async function readmeExample(capture: string, protocolPath: string, serverPort: string): Promise<string[]> {
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const definition = JSON.parse(readFileSync(protocolPath, "utf8"));
  const analyzer = new AnticheatAnalyzer({ protocol: definition, maxSpeedUnitsPerSecond: 10 });
  const result = await runCapturePipeline({
    sources: [capture],
    decoder: compileProtocol(definition),
    serverPorts: [Number(serverPort)],
    analyzers: [analyzer],
  });
  const report = result.reports[0] as AnticheatReport;
  for (const finding of report.findings) {
    log(`${finding.player} ${finding.kind} (${finding.confidence}): ${finding.summary}`);
    log(`  evidence ${JSON.stringify(finding.evidence)}\n  fix: ${finding.mitigation}`);
  }
  for (const player of report.players) log(`${player.player}: ${player.verdict} (score ${player.score})`);
  for (const weakness of report.audit) log(`[${weakness.severity}] ${weakness.title}: ${weakness.fix}`);
  return lines;
}

describe("README example", () => {
  it.skipIf(!hasSharedCaptures)(`runs on the Firefall capture${hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`}`, async () => {
    const protocol = fileURLToPath(new URL("../../../examples/protocols/firefall.json", import.meta.url));
    const lines = await readmeExample(sharedCapturePath("firefall_1869_gameplay.pcapng"), protocol, "59238");
    // Every session of this honest capture is clean (how many sessions the capture package
    // keeps — the port-25000 handshake flow or only the gameplay one — is not this test's concern).
    const verdicts = lines.filter((line) => / \(score [0-9.]+\)$/.test(line));
    expect(verdicts.length).toBeGreaterThanOrEqual(1);
    expect(verdicts.every((line) => line.includes(": clean (score 0)"))).toBe(true);
    expect(lines.some((line) => line.startsWith("[critical] No MAC or AEAD authentication"))).toBe(true);
  }, 120_000);
});
