import type { Command } from "commander";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARENA_DEFINITION, type MatchOptions } from "@tickscope/sim";
import { availableAnalyses } from "../analyses/registry.js";
import { streamsOf } from "../command-context.js";
import { assertFormatsHaveDestination, REPORT_FORMAT_NAMES } from "../report-format-names.js";
import { parseFormatList, parseIntegerOption } from "../options.js";
import { writeReports } from "../report-output.js";
import { runAnalyze } from "../run-analyze.js";
import { runSimulation } from "../run-simulation.js";
import { escapeTerminalText } from "../terminal-text.js";
import { ensureOutputDirectory } from "../write-files-atomically.js";

/**
 * The demo match: 16 players on mixed networks for 60 s, served from Frankfurt
 * and Virginia, with three injected problems whose truth is known: a latency
 * spike shared by a third of the players at 20 s, a loss burst at 35 s, and a
 * speedhacking player.
 */
export function demoMatchOptions(seed: number): MatchOptions {
  return {
    seed,
    players: 16,
    durationMs: 60_000,
    tickRate: 30,
    regions: [
      { name: "eu-central", latitude: 50.11, longitude: 8.68, playerShare: 0.5 },
      { name: "us-east", latitude: 38.95, longitude: -77.45, playerShare: 0.5 },
    ],
    profileMix: { fibre: 4, cable: 4, "4g": 2, "wifi-congested": 2 },
    networkEvents: [
      { kind: "latencySpike", startMs: 20_000, durationMs: 2_000, extraDelayMs: 150, fraction: 0.34 },
      { kind: "lossBurst", startMs: 35_000, durationMs: 1_500, lossProbability: 0.6, playerIds: [2] },
    ],
    cheats: [{ playerId: 5, kind: "speedhack", intensity: 1.3 }],
  };
}

/** Registers `tickscope demo`: simulate a short match with known problems and analyze it. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("simulate a 60 s two-region match with a latency spike, a loss burst and a cheater, then analyze it")
    .option("--seed <n>", "simulation seed", "7")
    .option("--out <directory>", "keep the capture, truth and reports in this directory (default: a fresh temp directory, removed at exit)")
    .option("--format <formats>", "report formats (default md on stdout)", (text: string, previous: string[] | undefined) => parseFormatList(text, REPORT_FORMAT_NAMES, previous))
    .action(async (options: { seed: string; out?: string; format?: string[] }, command: Command) => {
      const streams = streamsOf(command);
      const seed = parseIntegerOption("seed", options.seed, 0, 2 ** 31 - 1, 7);
      // several files and no --out fail now, not after a 60-s simulation and analysis
      assertFormatsHaveDestination(options.format ?? ["md"], options.out);
      // Without --out the 29 MB capture goes to a fresh private directory that is removed at exit.
      const directory = options.out ?? (await mkdtemp(join(tmpdir(), "tickscope-demo-")));
      try {
        await runDemo(seed, directory, options, streams);
      } finally {
        if (options.out === undefined) await rm(directory, { recursive: true, force: true });
      }
    });
}

/** Simulates the demo match into `directory` and writes its reports (into `--out`, else a single format on stdout). */
async function runDemo(seed: number, directory: string, options: { out?: string; format?: string[] }, streams: ReturnType<typeof streamsOf>): Promise<void> {
  await ensureOutputDirectory(directory);
  const capturePath = join(directory, "demo-match.pcapng");
  const truthPath = join(directory, "demo-truth.json");
  const simulated = await runSimulation(demoMatchOptions(seed), { out: capturePath, truth: truthPath }, {
    onInterrupted: (signal, outcome) =>
      void streams.stderr.write(`tickscope: interrupted by ${signal}: ${outcome === "removed" ? "removed the incomplete outputs" : "the outputs were already complete"}\n`),
  });
  streams.stderr.write(
    `simulated 16 players in 2 regions for 60 s: ${simulated.summary.serverCapturePackets} packets → ${escapeTerminalText(capturePath)} (truth: ${escapeTerminalText(truthPath)})${options.out === undefined ? " (a temp directory removed at exit; --out keeps them)" : ""}\n` +
      `injected: ${simulated.header.networkEvents
        .map((event) => `${event.kind} at ${(event.startUs - simulated.header.startUs) / 1e6} s (players ${event.playerIds.join(", ")})`)
        .concat(simulated.header.cheats.map((cheat) => `${cheat.kind} (player ${cheat.playerId})`))
        .join(", ")}\n\n`,
  );
  const header = simulated.header;
  const result = await runAnalyze({
    inputs: [{ path: capturePath }],
    protocolDefinition: ARENA_DEFINITION,
    serverRegions: Object.fromEntries(header.servers.map((server) => [server.address, server.region])),
    serverSites: Object.fromEntries(header.servers.map((server) => [server.region, { latitude: server.latitude, longitude: server.longitude }])),
    clientLocations: Object.fromEntries(header.players.map((player) => [player.address, { latitude: player.latitude, longitude: player.longitude }])),
    analyses: availableAnalyses(),
    recordedOptions: { demo: true, seed },
  });
  const formats = options.format ?? ["md"];
  const written = await writeReports(result, formats, formats.length === 1 && formats[0] === "md" ? undefined : options.out, streams);
  if (!written.includes("-")) streams.stderr.write(`wrote ${written.map(escapeTerminalText).join(", ")}\n`);
}
