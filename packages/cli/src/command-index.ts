import type { Command } from "commander";

/** Registers one subcommand (with its options and action) on the root program. */
export type CommandRegistration = (program: Command) => void;

/**
 * What the top-level help shows of a subcommand, and how to load it. The
 * command modules import the analysis packages, capture readers and
 * exporters; listing them here lets `tickscope --help` and `--version` start
 * without loading any of that, and a command load only what it uses.
 */
export interface CommandIndexEntry {
  /** Subcommand name. */
  name: string;
  /** One-line description (the same as the command module registers). */
  description: string;
  /** Arguments as commander declares them, e.g. `[capture...]`. */
  arguments: string;
  /** Whether the command has options (`[options]` in the help). */
  hasOptions: boolean;
  /** Loads the module and returns its registration. */
  load(): Promise<CommandRegistration>;
}

/**
 * The question each analysis answers, as the analysis subcommands describe
 * themselves (a test checks these against the adapters).
 */
export const ANALYSIS_QUESTIONS = {
  latency: "When did latency spike, and what caused it?",
  loss: "Which game data is lost, in what bursts, and what does it do to sync?",
  bandwidth: "Where do the bytes go, and which change saves how much?",
  anticheat: "Which clients manipulate timing or packets?",
  regions: "How do the server regions compare, and which differences are real?",
} as const;

const analysisCommand = (name: keyof typeof ANALYSIS_QUESTIONS): CommandIndexEntry => ({
  name,
  description: `${ANALYSIS_QUESTIONS[name]} (the ${name} analysis alone)`,
  arguments: "[capture...]",
  hasOptions: true,
  load: async () => {
    const { registerAnalysisCommand } = await import("./commands/analysis-commands.js");
    return (program) => registerAnalysisCommand(program, name);
  },
});

/** Every subcommand, in help order. */
export const COMMAND_INDEX: readonly CommandIndexEntry[] = [
  {
    name: "analyze",
    description: "read once, decode once, run every analysis; write reports",
    arguments: "[capture...]",
    hasOptions: true,
    load: async () => (await import("./commands/analyze.js")).registerAnalyzeCommand,
  },
  {
    name: "merge",
    description: "merge partial reports (analyze --partial) into the report one analyze over all their captures gives",
    arguments: "<partial...>",
    hasOptions: true,
    load: async () => (await import("./commands/merge.js")).registerMergeCommand,
  },
  analysisCommand("latency"),
  analysisCommand("loss"),
  analysisCommand("bandwidth"),
  analysisCommand("anticheat"),
  analysisCommand("regions"),
  {
    name: "inspect",
    description: "summarize captures: packets, link types, flows, anomalies (and messages with --protocol)",
    arguments: "<capture...>",
    hasOptions: true,
    load: async () => (await import("./commands/inspect.js")).registerInspectCommand,
  },
  {
    name: "decode",
    description: "decode every game message of a capture with a protocol definition",
    arguments: "<capture>",
    hasOptions: true,
    load: async () => (await import("./commands/decode.js")).registerDecodeCommand,
  },
  {
    name: "protocol",
    description: "protocol definitions: JSON Schema and validation",
    arguments: "",
    hasOptions: false,
    load: async () => (await import("./commands/protocol.js")).registerProtocolCommand,
  },
  {
    name: "schema",
    description: "print JSON Schemas of tickscope outputs",
    arguments: "",
    hasOptions: false,
    load: async () => (await import("./commands/schema.js")).registerSchemaCommand,
  },
  {
    name: "simulate",
    description: "simulate a match over modelled networks; write a real PCAPNG capture and its ground truth",
    arguments: "",
    hasOptions: true,
    load: async () => (await import("./commands/simulate.js")).registerSimulateCommand,
  },
  {
    name: "demo",
    description: "simulate a 60 s two-region match with a latency spike, a loss burst and a cheater, then analyze it",
    arguments: "",
    hasOptions: true,
    load: async () => (await import("./commands/demo.js")).registerDemoCommand,
  },
  {
    name: "watch",
    description: "follow a live capture (growing file or stdin) and print NDJSON alerts: latencySpike, lossBurst, cheatSuspicion",
    arguments: "<capture>",
    hasOptions: true,
    load: async () => (await import("./commands/watch.js")).registerWatchCommand,
  },
  {
    name: "fleet",
    description: "analyze captures on many machines: a BullMQ job queue on Redis, workers writing partial reports, one merged report",
    arguments: "",
    hasOptions: false,
    load: async () => (await import("./fleet/fleet-command.js")).registerFleetCommand,
  },
];
