/**
 * `pnpm --filter @tickscope/infer bench`: `tickscope protocol infer`'s work on
 * a ~100k-packet capture (a simulated arena match): reading it through the
 * capture pipeline with the sampling collector, then inference. Prints wall
 * and CPU time of both steps (the machine is shared: CPU time is the figure).
 */
import { inferProtocol } from "../src/index.js";
import { captureFlows, simulateShape } from "../src/test-support/capture-flows.js";

const players = Number(process.env.BENCH_PLAYERS ?? 13);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 90_000);
const capture = simulateShape("arena", { seed: 5, players, durationMs });
const cpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
let cpuStart = cpu();
let wallStart = performance.now();
let packets = 0;
const { runCapturePipeline } = await import("@tickscope/capture");
const counted = await runCapturePipeline({ sources: [capture], finishAnalyzers: false });
packets = counted.datagrams;
const countMs = performance.now() - wallStart;
cpuStart = cpu();
wallStart = performance.now();
const flows = await captureFlows(capture);
const readWallMs = performance.now() - wallStart;
const readCpuMs = cpu() - cpuStart;
cpuStart = cpu();
wallStart = performance.now();
const inference = inferProtocol(flows);
const inferWallMs = performance.now() - wallStart;
const inferCpuMs = cpu() - cpuStart;
console.log(`capture: ${packets} UDP datagrams, ${(capture.length / 1e6).toFixed(1)} MB (${players} players, ${durationMs / 1000} s); a bare pipeline pass took ${countMs.toFixed(0)} ms wall`);
console.log(`read + sample: ${readWallMs.toFixed(0)} ms wall, ${readCpuMs.toFixed(0)} ms CPU; infer (${inference.datagrams} datagrams sampled): ${inferWallMs.toFixed(0)} ms wall, ${inferCpuMs.toFixed(0)} ms CPU`);
console.log(`total: ${(readWallMs + inferWallMs).toFixed(0)} ms wall, ${(readCpuMs + inferCpuMs).toFixed(0)} ms CPU (budget 5000 ms); fields: ${inference.fields.map((field) => `${field.role} @${field.offset}`).join(", ")}`);
