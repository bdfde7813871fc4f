// Plain Node (no TypeScript, no capture reader): feed your own decoded messages to the detectors.
// Two clients send inputs at 60 Hz for 30 s; client "b" runs its clock 1.3x fast (a speedhack).
import { AnticheatAnalyzer } from "@tickscope/anticheat";

const analyzer = new AnticheatAnalyzer();
const startUs = Date.UTC(2026, 0, 1) * 1000; // capture time, µs since the epoch
const clockRate = { a: 1, b: 1.3 };
const messages = [];
for (const [player, rate] of Object.entries(clockRate)) {
  for (let index = 0; index < 30 * 60; index++) {
    const sentUs = index * (1e6 / 60);
    messages.push({
      sessionId: `udp:10.0.0.${player === "a" ? 2 : 3}:40000-10.0.0.1:7777`,
      direction: "clientToServer",
      tUs: startUs + sentUs + 20_000, // arrives 20 ms after it was sent
      packetIndex: 0,
      indexInPacket: 0,
      type: "input",
      byteLength: 24,
      packetWireLength: 66,
      fields: {},
      // Roles say what a field means: the sequence number and the client's claimed send time.
      roles: { sequence: index, sequenceBits: 16, inputSequence: index, sendTimeUs: 5_000_000 + sentUs * rate, playerId: player },
    });
  }
}
messages.sort((left, right) => left.tUs - right.tUs);
messages.forEach((message, packetIndex) => analyzer.onMessage({ ...message, packetIndex }));
const report = analyzer.finish();
for (const player of report.players) console.log(`player ${player.player}: ${player.verdict} (score ${player.score}) ${player.kinds.join(", ")}`);
for (const finding of report.findings) {
  console.log(`${finding.kind}: ${finding.summary} Wireshark frames ${finding.evidence.packetIndices.map((index) => index + 1).join(", ")}`);
}
