import { simulateMatch } from "./src/match-simulator.ts";
class Null { n = 0; write(c: Uint8Array) { this.n += c.length; } close() {} }
for (const [tick, input, snap, ent] of [[20, 30, 20, 16], [20, 20, 20, 8]]) {
  const t = performance.now();
  const r = simulateMatch({ seed: 7, players: 1000, durationMs: 10000, tickRate: tick, inputRate: input, snapshotRate: snap, entitiesPerSnapshot: ent }, { capture: new Null() });
  const s = (performance.now() - t) / 1000;
  console.log(tick, input, snap, ent, s.toFixed(2), "s", r.summary.packets, (r.summary.packets / s).toFixed(0), "pkt/s", "maxrss MB", (process.resourceUsage().maxRSS / 1024).toFixed(0));
}
