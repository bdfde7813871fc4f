import type { Command } from "commander";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { parseProtocolDefinition, type ProtocolDefinition } from "@tickscope/core/protocol";
import { createRoleMappedEncoder, getProfile, toNetemCommand, PROFILE_NAMES, type MatchOptions } from "@tickscope/sim";
import { streamsOf } from "../command-context.js";
import { readTextFile } from "../load-inputs.js";
import { parseDurationSeconds, parseIntegerOption, parsePositiveIntegerOption } from "../options.js";
import { runSimulation } from "../run-simulation.js";
import { parseCheatsFile, parseProfileFile, parseRegionsFile } from "../simulate-inputs.js";
import { escapeTerminalText } from "../terminal-text.js";

interface SimulateCommandOptions {
  players: string;
  duration: string;
  tick: string;
  profile: string;
  seed: string;
  out: string;
  truth?: string;
  regions?: string;
  cheats?: string;
  serverLog?: string;
  clientCapture?: string;
  serverCapture?: string;
  netem?: boolean;
  quiet?: boolean;
  protocol?: string;
}

const MAX_SIMULATED_SECONDS = 86_400;

/** Turns `tickscope simulate` options into the simulator's match options. */
export async function matchOptionsFromCommand(options: SimulateCommandOptions): Promise<MatchOptions> {
  if (options.seed.length === 0 || options.seed.length > 256) {
    throw new TickscopeError(ErrorCode.invalidOption, "--seed must be 1 to 256 characters", { hint: "e.g. --seed 7" });
  }
  const players = parsePositiveIntegerOption("players", options.players, 5000);
  const match: MatchOptions = {
    seed: /^\d{1,15}$/.test(options.seed) ? Number(options.seed) : options.seed,
    players,
    durationMs: Math.round(parseDurationSeconds(options.duration, MAX_SIMULATED_SECONDS) * 1000),
    tickRate: parsePositiveIntegerOption("tick", options.tick, 1000),
    profile: options.profile.endsWith(".json") ? parseProfileFile(await readTextFile(options.profile, "profile"), options.profile) : options.profile,
  };
  if (options.regions !== undefined) match.regions = parseRegionsFile(await readTextFile(options.regions, "regions file"), options.regions);
  if (options.cheats !== undefined) {
    match.cheats = /^[-+]?\d+$/.test(options.cheats)
      ? parseIntegerOption("cheats", options.cheats, 0, players, 1)
      : parseCheatsFile(await readTextFile(options.cheats, "cheats file"), options.cheats);
  }
  return match;
}

/**
 * Reads the `--protocol` definition and checks, before anything runs, that a
 * match can be written through it (`E_DEFINITION_INVALID` or
 * `E_PROTOCOL_UNSUPPORTED` naming every missing role).
 */
export async function simulationProtocol(path: string): Promise<ProtocolDefinition> {
  const definition = parseProtocolDefinition(await readTextFile(path, "protocol definition"));
  createRoleMappedEncoder(definition);
  return definition;
}

/** Registers `tickscope simulate`. */
export function registerSimulateCommand(program: Command): void {
  program
    .command("simulate")
    .description("simulate a match over modelled networks; write a real PCAPNG capture and its ground truth")
    .option("--players <n>", "players (1–5000)", "10")
    .option("--duration <time>", "match duration, e.g. 90s, 30m", "60s")
    .option("--tick <hz>", "server tick rate", "60")
    .option("--profile <name|file.json>", `network profile: ${PROFILE_NAMES.join(", ")} or a JSON profile`, "cable")
    .option("--seed <seed>", "random seed (same seed, same bytes)", "1")
    .requiredOption("--out <file.pcapng>", "capture to write")
    .option("--truth <file.json>", "ground truth to write (.ndjson for large runs)")
    .option("--regions <file.json>", "regions: [{ name, latitude, longitude, playerShare }]")
    .option("--cheats <file.json|n>", "cheats: [{ playerId, kind, startMs, endMs, intensity }] or a number of random cheaters")
    .option("--server-log <file.ndjson>", "server log to write")
    .option("--client-capture <file.pcapng>", "client-side capture (clock offset/drift applied)")
    .option("--server-capture <file.pcapng>", "server-side capture in the server's own clock")
    .option("--protocol <definition.json>", "write the datagrams in this protocol (default: arena); its roles must cover inputs, snapshots, shots, ping/pong and sequence/ack/sendTime")
    .option("--netem", "also print the tc netem command line of the profile")
    .option("--quiet", "no progress bar")
    .action(async (options: SimulateCommandOptions, command: Command) => {
      const streams = streamsOf(command);
      const match = await matchOptionsFromCommand(options);
      const protocol = options.protocol === undefined ? undefined : await simulationProtocol(options.protocol);
      const showProgress = !options.quiet && process.stderr.isTTY === true && streams.stderr === process.stderr;
      const bar = showProgress ? new (await import("cli-progress")).default.SingleBar({ stream: process.stderr, format: "{bar} {percentage}% simulated | ETA {eta}s", hideCursor: true }) : undefined;
      bar?.start(match.durationMs, 0);
      const result = await runSimulation(
        match,
        {
          out: options.out,
          truth: options.truth,
          truthFormat: options.truth?.endsWith(".ndjson") ? "ndjson" : "json",
          serverLog: options.serverLog,
          clientCapture: options.clientCapture,
          serverCapture: options.serverCapture,
          ...(protocol === undefined ? {} : { protocol }),
        },
        {
          onProgress: bar === undefined ? undefined : (simulatedMs) => bar.update(Math.round(simulatedMs)),
          onInterrupted: (signal, outcome) => {
            bar?.stop();
            streams.stderr.write(`tickscope: interrupted by ${signal}: ${outcome === "removed" ? "removed the incomplete outputs" : "the outputs were already complete"}\n`);
          },
        },
      );
      bar?.stop();
      streams.stdout.write(`wrote ${escapeTerminalText(options.out)}: ${JSON.stringify(result.summary)}\n`);
      if (options.netem && typeof match.profile === "string") streams.stdout.write(`${toNetemCommand(getProfile(match.profile))}\n`);
    });
}
