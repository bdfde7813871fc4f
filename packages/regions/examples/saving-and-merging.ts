/**
 * Saving and merging the regions analyzer's state: two workers each analyze
 * half of a capture's sessions, save their state as JSON, and a third analyzer
 * merges both and reports exactly what one pass over everything reports. Run
 * from the repository root:
 *
 *   npx tsx packages/regions/examples/saving-and-merging.ts
 */
import type { GameMessage, Session } from "@tickscope/core";
import { createRegionsAnalyzer, createSeededRandom, type RegionsAnalyzerOptions, type RegionsAnalyzerState } from "../src/index.js";

// A small capture: 12 sessions in two regions, pings every 250 ms and numbered snapshots with some loss.
const random = createSeededRandom(7);
const sessions: Session[] = [];
const messages: GameMessage[] = [];
for (let index = 0; index < 12; index++) {
  const id = `session-${index}`;
  const region = index % 2 === 0 ? "eu-west" : "na-east";
  const baseRttMs = region === "eu-west" ? 30 : 45;
  sessions.push({
    id,
    transport: "udp",
    client: { address: `198.51.100.${index + 1}`, port: 5000 },
    server: { address: "192.0.2.1", port: 7777 },
    firstUs: 0,
    lastUs: 60e6,
    clientToServer: { packets: 0, bytes: 0 },
    serverToClient: { packets: 0, bytes: 0 },
    region,
  });
  const push = (tUs: number, direction: GameMessage["direction"], roles: GameMessage["roles"]): void => {
    messages.push({ sessionId: id, direction, tUs, packetIndex: 0, indexInPacket: 0, type: "m", byteLength: 32, packetWireLength: 74, fields: {}, roles });
  };
  for (let ping = 0; ping < 240; ping++) {
    const tUs = ping * 250_000 + index * 1000;
    push(tUs, "clientToServer", { echoKey: String(ping), echoPhase: "request" });
    push(tUs + (baseRttMs + 5 * random.normal() ** 2) * 1000, "serverToClient", { echoKey: String(ping), echoPhase: "reply" });
  }
  for (let sequence = 0; sequence < 1200; sequence++) {
    if (random.next() < 0.01) continue; // lost
    push(sequence * 50_000 + index * 1000, "serverToClient", { sequence, sequenceBits: 16, channel: 0 });
  }
}
messages.sort((left, right) => left.tUs - right.tUs);
messages.forEach((message, index) => (message.packetIndex = index));

const options: RegionsAnalyzerOptions = { comparison: { bootstrapIterations: 200 } };

// One pass over everything.
const single = createRegionsAnalyzer(options);
for (const session of sessions) single.onSession!(session);
for (const message of messages) single.onMessage(message);
const expected = JSON.stringify(single.finish());

// Two workers, each with half of the sessions (same packet indices: packetIndexOffset 0 when merging).
const states: string[] = [0, 1].map((worker) => {
  const analyzer = createRegionsAnalyzer(options);
  const mine = new Set(sessions.filter((_, index) => index % 4 < 2 === (worker === 0)).map((session) => session.id));
  for (const session of sessions) if (mine.has(session.id)) analyzer.onSession!(session);
  for (const message of messages) if (mine.has(message.sessionId)) analyzer.onMessage(message);
  return JSON.stringify(analyzer.saveState()); // plain JSON: write it to a file, send it to another machine…
});

// Merge: a fresh analyzer with the same options, every state, then finish().
const merged = createRegionsAnalyzer(options);
for (const text of states) merged.mergeState(JSON.parse(text) as RegionsAnalyzerState, { packetIndexOffset: 0 });
const report = merged.finish();

console.log(`states: ${states.map((text) => `${(text.length / 1024).toFixed(0)} KiB`).join(" + ")}`);
console.log(`merged report identical to one pass: ${JSON.stringify(report) === expected}`);
console.log(`ranking: ${report.ranking.join(" < ")}`);
