import { simulateMatch } from "./src/match-simulator.ts";
class Null { n = 0; write(c: Uint8Array) { this.n += c.length; } close() {} }
const fixed = new Uint8Array(120);
const t = performance.now();
const r = simulateMatch({ seed: 7, players: 200, durationMs: 10000, tickRate: 30 }, { capture: new Null() });
console.log((performance.now() - t) / 1000);
