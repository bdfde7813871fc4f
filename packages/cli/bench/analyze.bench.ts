/**
 * End-to-end bench of `tickscope analyze`: a generated arena-protocol PCAPNG
 * (default 1 GB, 120 players at 60 Hz, cached in /tmp) analyzed with every
 * available analysis in one pass, then `tshark -q -z conv,udp` on the same file.
 *
 *   pnpm --filter @tickscope/cli bench                 # 1 GB
 *   TICKSCOPE_BENCH_MB=200 pnpm --filter @tickscope/cli bench
 *   npx tsx packages/cli/bench/analyze.bench.ts --size-mb 200 --players 150 --each --cpu-prof
 *
 * Flags: --size-mb N (or env TICKSCOPE_BENCH_MB), --players N, --file PATH (use an existing
 * capture), --protocol def.json (with --file: the capture's protocol; default the arena
 * definition on port 7777), --server-port N, --only a,b (analyses), --each (also time decode-only and each analysis alone, to
 * find the bottleneck), --cpu-prof (write a V8 CPU profile of the analyze run to
 * /tmp/tickscope-bench-prof), --threads N (the threaded run of the built CLI; default the cores
 * available, at least 2), --no-tshark, --leave-one-out N (N interleaved rounds of the built CLI with every analysis,
 * with every analysis but one, and tshark: what each analysis adds to the wall time). Each analyze run is a child process so its peak RSS is its own.
 *
 * With the CLI built, a `--threads N vs --threads 1` line times both back to back (wall, CPU,
 * the busiest thread's CPU sampled from /proc — on a loaded shared machine the figure an idle
 * machine's wall time follows — and peak RSS) and checks their report.json are the same bytes.
 * With tshark installed the last lines are the ratio the project tracks (issue 16), for both:
 * tshark `-q -z conv,udp` time / tickscope analyze time on the same file in the same run, by
 * wall clock and by CPU time (user + system of each whole process, start-up included — the
 * figure to compare on a shared, loaded machine). Above 1 tickscope is the faster one.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve as resolvePath } from "node:path";
import { parseArgs } from "node:util";
import { median } from "simple-statistics";

const SERVER_PORT = 7777;
const selfPath = fileURLToPath(import.meta.url);

interface RunFigures {
  label: string;
  /** Wall time of the analysis inside the child (module loading excluded). */
  seconds: number;
  /** User + system CPU of the whole child process (start-up included). */
  cpuSeconds: number;
  /** Wall time of the whole child process, spawn to exit (start-up included). */
  processSeconds: number;
  packets: number;
  bytes: number;
  maxRssMb: number;
  analyses: string[];
  /** How the run used threads (automatic: the cores available, one thread for a small capture). */
  threads: string;
}

async function childRun(file: string, analysesText: string, protocolPath: string | undefined, serverPort: number | undefined): Promise<void> {
  const { runAnalyze } = await import("../src/run-analyze.js");
  const { availableAnalyses } = await import("../src/analyses/registry.js");
  const { ARENA_DEFINITION } = await import("@tickscope/sim");
  const analyses = (analysesText === "all" ? availableAnalyses() : analysesText === "none" ? [] : analysesText.split(",")) as ReturnType<typeof availableAnalyses>;
  const started = performance.now();
  const protocolDefinition: unknown = protocolPath === undefined ? ARENA_DEFINITION : JSON.parse(readFileSync(protocolPath, "utf8"));
  const port = serverPort ?? (protocolPath === undefined ? SERVER_PORT : undefined);
  let threads = "";
  const result = await runAnalyze({ inputs: [{ path: file }], protocolDefinition, ...(port === undefined ? {} : { serverPorts: [port] }), analyses, onThreads: (line) => (threads = line) });
  const seconds = (performance.now() - started) / 1000;
  const packets = result.captures.reduce((sum, capture) => sum + capture.packets, 0);
  const cpu = process.cpuUsage();
  const figures = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, packets, bytes: statSync(file).size, maxRssMb: process.resourceUsage().maxRSS / 1024, analyses, threads };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function runChild(file: string, analyses: string, label: string, cpuProf: boolean, passThrough: readonly string[]): Promise<RunFigures> {
  const profileArgs = cpuProf ? ["--cpu-prof", "--cpu-prof-dir", "/tmp/tickscope-bench-prof"] : [];
  const spawned = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...profileArgs, selfPath, "--child", file, "--only", analyses, ...passThrough], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`analyze child exited with ${code}`));
      const line = output.trim().split("\n").pop()!;
      resolve({ label, processSeconds: (performance.now() - spawned) / 1000, ...(JSON.parse(line) as Omit<RunFigures, "label" | "processSeconds">) });
    });
  });
}

async function ensureCapture(sizeMb: number, players: number): Promise<string> {
  const path = `/tmp/tickscope-bench-${players}p-${sizeMb}mb.pcapng`;
  if (existsSync(path)) return path;
  const { writeMatchCapture } = await import("@tickscope/sim");
  const calibration = `/tmp/tickscope-bench-calibration-${process.pid}.pcapng`;
  const calibrationMs = 3000;
  writeMatchCapture({ seed: "bench", players, durationMs: calibrationMs, tickRate: 60 }, { out: calibration });
  const bytesPerMs = statSync(calibration).size / calibrationMs;
  rmSync(calibration);
  const durationMs = Math.ceil((sizeMb * 1e6) / bytesPerMs);
  process.stderr.write(`generating ${path}: ${players} players, ${(durationMs / 1000).toFixed(0)} s of match (≈ ${sizeMb} MB)...\n`);
  const started = performance.now();
  let lastReport = 0;
  writeMatchCapture(
    {
      seed: "bench",
      players,
      durationMs,
      tickRate: 60,
      cheats: [{ playerId: 3, kind: "speedhack" }],
      networkEvents: [
        { kind: "latencySpike", startMs: Math.floor(durationMs / 3), durationMs: 2000, extraDelayMs: 150, playerIds: [1] },
        { kind: "lossBurst", startMs: Math.floor(durationMs / 2), durationMs: 1000, playerIds: [2] },
      ],
    },
    {
      out: `${path}.partial`,
      onProgress: (simulatedMs, totalMs) => {
        if (performance.now() - lastReport < 10_000) return;
        lastReport = performance.now();
        process.stderr.write(`  ${((100 * simulatedMs) / totalMs).toFixed(0)}%\n`);
      },
    },
  );
  renameSync(`${path}.partial`, path);
  process.stderr.write(`generated ${(statSync(path).size / 1e6).toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return path;
}

/** Wall and CPU time (user + system, from /usr/bin/time) of `tshark -q -z conv,udp` on a file. */
function timeTshark(file: string): { seconds: number; cpuSeconds: number; maxRssMb: number } | string {
  if (spawnSync("tshark", ["--version"], { stdio: "ignore" }).status !== 0) return "tshark not installed (apt-get install -y tshark); skipped";
  const started = performance.now();
  const timed = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "tshark", "-q", "-z", "conv,udp", "-r", file], { encoding: "utf8", maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (timed.error !== undefined || timed.status !== 0) {
    const plain = spawnSync("tshark", ["-q", "-z", "conv,udp", "-r", file], { stdio: "ignore" });
    if (plain.status !== 0) return `tshark failed (${plain.status})`;
    return { seconds: (performance.now() - started) / 1000 - seconds, cpuSeconds: Number.NaN, maxRssMb: Number.NaN };
  }
  const [user, system, rssKb] = timed.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  return { seconds, cpuSeconds: user! + system!, maxRssMb: rssKb! / 1024 };
}

const cliPath = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
const arenaPath = fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url));

/** Figures of one run of the built CLI. */
interface CliFigures {
  /** Spawn to exit, start-up included. */
  processSeconds: number;
  /** User + system CPU of the whole process. */
  cpuSeconds: number;
  /** CPU of its busiest thread (sampled from /proc; NaN when unavailable). */
  busiestThreadSeconds: number;
  /** Peak resident set size, MB. */
  maxRssMb: number;
  /** The report.json it wrote (SOURCE_DATE_EPOCH=0, so runs compare byte for byte). */
  reportJson: string;
}

/**
 * CPU seconds of each thread of the process `/usr/bin/time` (pid `timePid`) runs, sampled from
 * /proc every 50 ms until `done()` (Linux; an empty map elsewhere). The busiest thread is the
 * figure an idle machine's wall time follows when the machine is shared and loaded.
 */
function sampleThreadCpu(timePid: number): { stop(): number[] } {
  const ticksPerSecond = 100;
  const seconds = new Map<string, number>();
  const sample = (): void => {
    try {
      const child = readFileSync(`/proc/${timePid}/task/${timePid}/children`, "utf8").trim().split(" ")[0];
      if (child === undefined || child === "") return;
      for (const thread of readdirSync(`/proc/${child}/task`)) {
        const stat = readFileSync(`/proc/${child}/task/${thread}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        seconds.set(thread, (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
      }
    } catch {
      // the process or a thread ended between the reads, or no /proc
    }
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return [...seconds.values()].sort((left, right) => right - left);
    },
  };
}

/**
 * Wall and CPU time, the busiest thread's CPU and peak RSS of the built command a user runs
 * (`node packages/cli/dist/bundle/bin.js analyze FILE --protocol DEF --format json --out DIR --threads N`,
 * start-up included), for the ratio against tshark.
 */
async function timeCli(file: string, protocolPath: string | undefined, serverPort: number | undefined, analyses: string, threads: number): Promise<CliFigures | string> {
  if (!existsSync(cliPath)) return "packages/cli/dist/bundle/bin.js missing (run pnpm build); ratio skipped";
  const out = `/tmp/tickscope-bench-ratio-${process.pid}-${threads}`;
  const port = serverPort ?? (protocolPath === undefined ? SERVER_PORT : undefined);
  const args = [cliPath, "analyze", file, "--protocol", protocolPath ?? arenaPath, "--format", "json", "--out", out, "--only", analyses, "--threads", String(threads), "--quiet"];
  if (port !== undefined) args.push("--server-port", String(port));
  const started = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "%U %S %M", process.execPath, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, SOURCE_DATE_EPOCH: "0" } });
  const sampler = sampleThreadCpu(child.pid!);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const threadSeconds = sampler.stop();
  const processSeconds = (performance.now() - started) / 1000;
  const reportJson = existsSync(`${out}/report.json`) ? readFileSync(`${out}/report.json`, "utf8") : "";
  rmSync(out, { recursive: true, force: true });
  if (status !== 0) return `tickscope analyze --threads ${threads} failed (${status}): ${stderr.trim().split("\n").slice(-2).join(" ")}`;
  const [user, system, rssKb] = stderr.trim().split("\n").pop()!.split(" ").map(Number);
  return { processSeconds, cpuSeconds: user! + system!, busiestThreadSeconds: threadSeconds[0] ?? Number.NaN, maxRssMb: rssKb! / 1024, reportJson };
}

/**
 * The ratio line: tshark conv,udp time / tickscope analyze time, same file, same run, by wall
 * clock (whole processes) and by CPU time. Above 1 tickscope is faster.
 */
function ratioLine(label: string, tshark: { seconds: number; cpuSeconds: number }, tickscope: CliFigures): string {
  const wall = tshark.seconds / tickscope.processSeconds;
  const cpu = tshark.cpuSeconds / tickscope.cpuSeconds;
  return (
    `tshark/tickscope ratio, ${label} (same file, same run; goal >= 1.5): wall ${wall.toFixed(2)} (tshark ${tshark.seconds.toFixed(1)} s / tickscope ${tickscope.processSeconds.toFixed(1)} s), ` +
    `CPU ${Number.isNaN(cpu) ? "n/a" : cpu.toFixed(2)} (tshark ${tshark.cpuSeconds.toFixed(1)} s / tickscope ${tickscope.cpuSeconds.toFixed(1)} s), ` +
    // tshark runs on one thread: its CPU is its busiest thread's
    `busiest thread ${(tshark.cpuSeconds / tickscope.busiestThreadSeconds).toFixed(2)} (tickscope ${tickscope.busiestThreadSeconds.toFixed(1)} s), peak RSS ${tickscope.maxRssMb.toFixed(0)} MB`
  );
}

/** The --threads line: N threads against one, back to back, and whether the reports are the same bytes. */
function threadsLine(threads: number, single: CliFigures, threaded: CliFigures): string {
  return (
    `--threads ${threads} vs --threads 1: wall ${threaded.processSeconds.toFixed(1)} s vs ${single.processSeconds.toFixed(1)} s (x${(single.processSeconds / threaded.processSeconds).toFixed(2)}), ` +
    `CPU ${threaded.cpuSeconds.toFixed(1)} s vs ${single.cpuSeconds.toFixed(1)} s, busiest thread ${threaded.busiestThreadSeconds.toFixed(1)} s vs ${single.busiestThreadSeconds.toFixed(1)} s CPU, peak RSS ${threaded.maxRssMb.toFixed(0)} MB vs ${single.maxRssMb.toFixed(0)} MB; ` +
    `report.json ${threaded.reportJson === single.reportJson && single.reportJson !== "" ? "byte-identical" : "DIFFERS"}`
  );
}

/**
 * The leave-one-out lines: what each analysis adds to the wall time of the built CLI (`--threads 1`)
 * against tshark conv,udp on the same file — every analysis, then every analysis but one, then
 * tshark, in `rounds` interleaved rounds (so a machine's slow phase hits every variant alike), as
 * medians. It tells which analysis keeps a small capture from the 1.25× goal of issue 16.
 */
async function leaveOneOutLines(file: string, protocolPath: string | undefined, serverPort: number | undefined, all: string, rounds: number, withTshark: boolean): Promise<string[]> {
  const analyses = all.split(",").filter((name) => name.length > 0);
  const variants = [all, ...analyses.map((left) => analyses.filter((name) => name !== left).join(","))];
  const seconds = variants.map((): number[] => []);
  const tsharkSeconds: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < variants.length; index++) {
      const figures = await timeCli(file, protocolPath, serverPort, variants[index]!, 1);
      if (typeof figures === "string") return [figures];
      seconds[index]!.push(figures.processSeconds);
    }
    const tshark = withTshark ? timeTshark(file) : "not asked";
    if (typeof tshark !== "string") tsharkSeconds.push(tshark.seconds);
  }
  const tshark = tsharkSeconds.length > 0 ? median(tsharkSeconds) : Number.NaN;
  const whole = median(seconds[0]!);
  const ratio = (value: number): string => (Number.isNaN(tshark) ? "no tshark" : `ratio ${(tshark / value).toFixed(2)}`);
  const lines = [
    `leave-one-out (--threads 1, medians of ${rounds} interleaved rounds; tshark ${Number.isNaN(tshark) ? "not run" : `${tshark.toFixed(2)} s`}): every analysis ${whole.toFixed(2)} s (${ratio(whole)})`,
  ];
  for (let index = 0; index < analyses.length; index++) {
    const without = median(seconds[index + 1]!);
    lines.push(`  without ${analyses[index]!.padEnd(10)} ${without.toFixed(2)} s (${ratio(without)}): ${analyses[index]} adds ${(whole - without).toFixed(2)} s`);
  }
  return lines;
}

function describe(figures: RunFigures): string {
  const mb = figures.bytes / 1e6;
  return (
    `${figures.label.padEnd(28)} ${figures.seconds.toFixed(1).padStart(6)} s  ${(mb / figures.seconds).toFixed(1).padStart(6)} MB/s  ` +
    `${Math.round(figures.packets / figures.seconds).toLocaleString("en-US").padStart(10)} packets/s  CPU ${figures.cpuSeconds.toFixed(2)} s (process)  peak RSS ${figures.maxRssMb.toFixed(0)} MB  ${figures.threads}`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: "string" },
      only: { type: "string" },
      file: { type: "string" },
      protocol: { type: "string" },
      "server-port": { type: "string" },
      "size-mb": { type: "string" },
      players: { type: "string" },
      each: { type: "boolean" },
      "cpu-prof": { type: "boolean" },
      "no-tshark": { type: "boolean" },
      threads: { type: "string" },
      "leave-one-out": { type: "string" },
    },
  });
  const serverPort = values["server-port"] === undefined ? undefined : Number(values["server-port"]);
  const leaveOneOutRounds = values["leave-one-out"] === undefined ? undefined : Number(values["leave-one-out"]);
  if (leaveOneOutRounds !== undefined && (!Number.isInteger(leaveOneOutRounds) || leaveOneOutRounds < 1)) {
    throw new Error(`--leave-one-out takes a number of rounds (at least 1), not ${values["leave-one-out"]}`);
  }
  // pnpm runs the bench in packages/cli: paths given on its command line are the caller's (INIT_CWD), e.g. the repository root
  const callerDirectory = process.env.INIT_CWD ?? process.cwd();
  if (values.file !== undefined) values.file = resolvePath(callerDirectory, values.file);
  if (values.protocol !== undefined) values.protocol = resolvePath(callerDirectory, values.protocol);
  if (values.child !== undefined) return childRun(values.child, values.only ?? "all", values.protocol, serverPort);
  const passThrough = [...(values.protocol === undefined ? [] : ["--protocol", values.protocol]), ...(serverPort === undefined ? [] : ["--server-port", String(serverPort)])];
  const sizeMb = Number(values["size-mb"] ?? process.env.TICKSCOPE_BENCH_MB ?? 1024);
  const players = Number(values.players ?? 120);
  const file = values.file ?? (await ensureCapture(sizeMb, players));
  const { availableAnalyses } = await import("../src/analyses/registry.js");
  const all = values.only ?? availableAnalyses().join(",");
  const cpuProf = values["cpu-prof"] === true;
  if (cpuProf) mkdirSync("/tmp/tickscope-bench-prof", { recursive: true });
  const fileMb = statSync(file).size / 1e6;
  console.log(`capture ${file}: ${fileMb.toFixed(0)} MB; analyses: ${all || "(none)"}; load average ${(await import("node:os")).loadavg().map((value) => value.toFixed(1)).join(" ")}`);
  const runs: RunFigures[] = [await runChild(file, all || "none", `analyze (${all || "decode only"})`, cpuProf, passThrough)];
  console.log(describe(runs[0]!));
  if (values.each === true) {
    for (const analysis of ["none", ...all.split(",").filter((name) => name.length > 0)]) {
      const figures = await runChild(file, analysis, analysis === "none" ? "read+decode only" : `only ${analysis}`, false, passThrough);
      console.log(describe(figures));
      runs.push(figures);
    }
  }
  const main = runs[0]!;
  // The 1 GB target is judged on a capture of about that size (the default run); on another file the
  // time is only scaled, which overstates it (fixed costs such as bandwidth's finish() do not grow with the file).
  const nearGigabyte = fileMb >= 900 && fileMb <= 1200;
  const scaledSeconds = (main.seconds * 1000) / fileMb;
  const timeTarget = nearGigabyte
    ? `${main.seconds.toFixed(1)} s, ${main.seconds <= 20 ? "met" : "MISSED"}`
    : `not judged on a ${fileMb.toFixed(0)} MB file; linear scaling gives ${scaledSeconds.toFixed(1)} s, an upper estimate — run without --file for the 1 GB figure`;
  console.log(`targets (issue 16, 1 GB): <= 20 s (${timeTarget}), peak RSS <= 600 MB (${main.maxRssMb.toFixed(0)} MB, ${main.maxRssMb <= 600 ? "met" : "MISSED"})`);
  // the built CLI with --threads 1 and --threads N back to back, then tshark: the ratio lines
  const threads = Math.max(2, Number(values.threads ?? (await import("node:os")).availableParallelism()));
  const single = await timeCli(file, values.protocol, serverPort, all, 1);
  const threaded = await timeCli(file, values.protocol, serverPort, all, threads);
  if (typeof single === "string" || typeof threaded === "string") console.log(typeof single === "string" ? single : threaded);
  else console.log(threadsLine(threads, single, threaded));
  if (values["no-tshark"] !== true) {
    const tshark = timeTshark(file);
    if (typeof tshark === "string") console.log(tshark);
    else {
      console.log(`tshark -q -z conv,udp         ${tshark.seconds.toFixed(1).padStart(6)} s  ${(fileMb / tshark.seconds).toFixed(1).padStart(6)} MB/s  CPU ${tshark.cpuSeconds.toFixed(2)} s  peak RSS ${tshark.maxRssMb.toFixed(0)} MB`);
      if (typeof single !== "string") console.log(ratioLine("--threads 1", tshark, single));
      if (typeof threaded !== "string") console.log(ratioLine(`--threads ${threads}`, tshark, threaded));
    }
  }
  if (leaveOneOutRounds !== undefined) {
    for (const line of await leaveOneOutLines(file, values.protocol, serverPort, all, leaveOneOutRounds, values["no-tshark"] !== true)) console.log(line);
  }
  if (cpuProf) console.log("CPU profile written to /tmp/tickscope-bench-prof (open in Chrome DevTools → Performance, or speedscope)");
}

await main();
