import type { AnalyzeResult } from "../analyze-result.js";

const startUs = 1_700_000_000_000_000;

/** A small analyze result with every kind of content, for format tests. */
export function sampleAnalyzeResult(): AnalyzeResult {
  return {
    toolVersion: "0.1.0",
    generatedAt: "1970-01-01T00:00:00.000Z",
    inputs: [{ kind: "capture", name: "match.pcapng", bytes: 1234 }],
    options: { only: ["latency", "bandwidth"] },
    captures: [{ file: "match.pcapng", format: "pcapng", packets: 100, bytes: 12_000, firstUs: startUs, lastUs: startUs + 10_000_000, linkTypes: [1], anomalies: {} }],
    sessions: [
      {
        id: "udp:10.0.0.2:50000-10.0.0.1:7777", transport: "udp",
        client: { address: "10.0.0.2", port: 50000 }, server: { address: "10.0.0.1", port: 7777 },
        firstUs: startUs, lastUs: startUs + 10_000_000, clientToServer: { packets: 50, bytes: 5000 }, serverToClient: { packets: 50, bytes: 7000 },
        player: "alice, \"the\" sniper",
      },
    ],
    decodeAnomalies: { E_DECRYPT_FAILED: 2 },
    sections: [
      {
        analysis: "latency",
        question: "When did latency spike, and why?",
        answer: ["1 spike: RTT 40 → 180 ms at 00:00:03.000 caused by a loss burst | <script>"],
        findings: [
          {
            id: "latency.spike.1", analysis: "latency", kind: "spike", severity: "high", startUs: startUs + 3_000_000, endUs: startUs + 3_500_000,
            session: "udp:10.0.0.2:50000-10.0.0.1:7777", summary: "RTT rose from 40 ms to 180 ms", evidence: { values: { peakRttMs: 180 }, packetIndices: [30, 31] },
          },
        ],
        recommendations: [],
        metrics: [
          { name: "tickscope_rtt_p95_ms", help: "RTT 95th percentile", unit: "ms", value: 61.5, labels: { session: "udp:10.0.0.2:50000-10.0.0.1:7777", direction: "clientToServer" } },
          { name: "tickscope_rtt_p95_ms", help: "RTT 95th percentile", unit: "ms", value: 44, labels: { session: "s2", direction: "clientToServer" } },
        ],
        tables: [{ name: "latency-sessions", rows: [{ session: "s1", rttP50Ms: 40, rttP95Ms: 61.5, hasSpike: true }] }],
        series: [{ name: "RTT s1", unit: "ms", points: [[startUs, 40], [startUs + 3_000_000, 180], [startUs + 4_000_000, 41]], marks: [{ startUs: startUs + 3_000_000, endUs: startUs + 3_500_000, label: "spike" }] }],
        report: { spikes: 1 },
      },
      {
        analysis: "bandwidth",
        question: "Where do the bytes go, and what saves the most?",
        answer: ["snapshot: 80% of bytes; delta encoding saves 60% (measured)"],
        findings: [],
        recommendations: [
          { id: "bandwidth.delta", analysis: "bandwidth", kind: "deltaEncoding", title: "Delta-encode snapshots", metric: "bytesPerSecond", before: 1000, after: 400, verified: true, method: "re-encoded 100 snapshots", cost: {} },
        ],
        metrics: [{ name: "tickscope_bytes_per_second", help: "bytes per second", unit: "By/s", value: 1200, labels: { type: "snapshot" } }],
        tables: [{ name: "bandwidth-types", rows: [{ type: "snapshot", bytesPerSecond: 960 }, { type: "input", bytesPerSecond: 240 }], bar: { labelColumn: "type", valueColumn: "bytesPerSecond", unit: "B/s" } }],
        series: [],
        report: { totalBytes: 12000 },
      },
    ],
  };
}
