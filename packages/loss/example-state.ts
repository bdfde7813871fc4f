import type { GameMessage } from "@tickscope/core";
import { createLossAnalyzer, type LossAnalyzerState } from "./src/index.js";

// One stream cut by a rotation after packet 5: sequence 6 arrives in the second file
// after 7 (reordered across the cut), sequence 9 is lost.
const snapshot = (sequence: number, packetIndex: number): GameMessage => ({
  sessionId: "udp:10.0.0.2:50000-203.0.113.1:7777",
  direction: "serverToClient",
  tUs: 1_767_225_600_000_000 + packetIndex * 16_667,
  packetIndex,
  indexInPacket: 0,
  type: "snapshot",
  byteLength: 48,
  packetWireLength: 90,
  fields: {},
  roles: { sequence, sequenceBits: 16 },
});
const firstFile = [0, 1, 2, 3, 4, 5];
const secondFile = [7, 6, 8, 10, 11];

const first = createLossAnalyzer();
firstFile.forEach((sequence, packetIndex) => first.onMessage(snapshot(sequence, packetIndex)));
const second = createLossAnalyzer();
secondFile.forEach((sequence, packetIndex) => second.onMessage(snapshot(sequence, packetIndex))); // indices restart at 0

// States are plain JSON (write them to disk, send them between processes).
const states = [JSON.stringify(first.saveState()), JSON.stringify(second.saveState())];

// A fresh analyzer with the same options; states in capture order, packet indices placed after the files before.
const merged = createLossAnalyzer();
merged.mergeState(JSON.parse(states[0]!) as LossAnalyzerState, { packetIndexOffset: 0 });
merged.mergeState(JSON.parse(states[1]!) as LossAnalyzerState, { packetIndexOffset: firstFile.length });
const row = merged.finish().sessions[0]!;
console.log(row.expected, row.received, row.lost, row.reordered, row.duplicates);
