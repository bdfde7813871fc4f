import type { GameMessage } from "@tickscope/core";
import { createLossAnalyzer } from "./src/index.js";

const analyzer = createLossAnalyzer({ interpolationDelayMs: 50 });
// Snapshots at 60 Hz, 16-bit sequence wrapping at 65535 → 0, sequences 4 and 5 lost.
const sequences = [65533, 65534, 65535, 0, 1, 2, 3, 6, 7, 8];
sequences.forEach((sequence, packetIndex) => {
  const message: GameMessage = {
    sessionId: "udp:10.0.0.2:50000-203.0.113.1:7777",
    direction: "serverToClient",
    tUs: 1_767_225_600_000_000 + packetIndex * 16_667,
    packetIndex,
    indexInPacket: 0,
    type: "snapshot",
    byteLength: 48,
    packetWireLength: 90,
    fields: {},
    roles: { sequence, sequenceBits: 16, tick: packetIndex, entityId: 1, position: { x: packetIndex, y: 0, z: 0 } },
  };
  analyzer.onMessage(message);
});
const report = analyzer.finish();
const row = report.sessions[0]!;
console.log(row.expected, row.received, row.lost, row.lossRate, row.netem);
