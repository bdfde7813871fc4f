import { PassThrough } from "node:stream";
import { simulateMatchToMemory, ARENA_DEFINITION } from "@tickscope/sim";
import { compileProtocol, validateProtocolDefinition } from "@tickscope/core/protocol";
import { runCapturePipeline } from "@tickscope/capture";
const t0 = Date.now();
const match = simulateMatchToMemory({ seed: 1, players: 4, durationMs: 6000, networkEvents: [{ kind: "latencySpike", startMs: 3000, durationMs: 1000, extraDelayMs: 150, playerIds: [1] }, { kind: "lossBurst", startMs: 2000, durationMs: 1000, playerIds: [2] }] });
console.log("sim ms", Date.now() - t0, match.pcapng.length, JSON.stringify(match.truth.summary).slice(0, 400));
console.log(Object.keys(match.truth), JSON.stringify((match.truth as any).networkEvents ?? (match.truth as any).header?.networkEvents)?.slice(0,600));
const protocol = compileProtocol(validateProtocolDefinition(ARENA_DEFINITION));
const stream = new PassThrough();
let n = 0; const seen = new Set<string>();
const done = runCapturePipeline({ sources: [stream], decoder: protocol, analyzers: [{ name: "x", onMessage(m) { n++; const k = m.type + m.direction; if (!seen.has(k)) { seen.add(k); console.log(m.sessionId, m.direction, m.type, m.tUs, JSON.stringify(m.roles).slice(0, 300)); } }, onAnomaly(a) { console.log("anom", a.code); }, finish() {} }] });
const bytes = match.pcapng;
for (let i = 0; i < bytes.length; i += 16384) { stream.write(bytes.subarray(i, i + 16384)); await new Promise((r) => setImmediate(r)); if (i === 16384 * 4) console.log("after 5 chunks messages", n); }
stream.end();
const r = await done;
console.log("total", n, r.datagrams, r.decodeAnomalies, r.sessions.map((s) => s.id).slice(0, 3));
