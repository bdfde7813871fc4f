import { appendFileSync, mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Command } from "commander";
import { ARENA_DEFINITION, simulateMatchToMemory } from "@tickscope/sim";
import { registerWatchCommand } from "../commands/watch.js";
import { FollowFileReadable } from "./follow-file.js";
import { runWatch } from "./run-watch.js";
import type { WatchAlert } from "./watch-alert.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-watch-"));
const arenaPath = join(import.meta.dirname, "../../../../examples/protocols/arena.json");
const startUs = 1_767_225_600_000_000;
const match = simulateMatchToMemory({
  seed: 5,
  players: 4,
  durationMs: 12_000,
  startUs,
  networkEvents: [{ kind: "latencySpike", startMs: 7000, durationMs: 1500, extraDelayMs: 200, playerIds: [1] }],
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(stream: FollowFileReadable): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

describe("FollowFileReadable", () => {
  it("keeps reading as the file grows, then ends once it is idle", async () => {
    const path = join(directory, "growing.pcapng");
    const bytes = match.pcapng;
    const half = Math.floor(bytes.length / 2);
    writeFileSync(path, bytes.subarray(0, half));
    const alerts: WatchAlert[] = [];
    const watching = runWatch({
      source: path,
      protocolPath: arenaPath,
      idleExitMs: 500,
      pollIntervalMs: 20,
      onAlert: (alert) => alerts.push(alert),
    });
    await sleep(150);
    expect(alerts).toEqual([]); // the spike is in the second half
    appendFileSync(path, bytes.subarray(half, half + 1000)); // a partial record first
    await sleep(60);
    appendFileSync(path, bytes.subarray(half + 1000));
    const summary = await watching;
    expect(summary.packets).toBe(match.truth.summary.serverCapturePackets);
    const spike = alerts.find((alert) => alert.alert === "latencySpike");
    expect(spike).toBeDefined();
    expect(spike!.detectedAtUs - (startUs + 7_000_000)).toBeLessThanOrEqual(1_000_000);
  }, 60_000);

  it("ends at once when the file shrinks (rotated or truncated)", async () => {
    const path = join(directory, "rotated.bin");
    writeFileSync(path, Buffer.alloc(5000, 1));
    const stream = new FollowFileReadable(path, { pollIntervalMs: 10, idleExitMs: 60_000, chunkBytes: 4096 });
    const reading = readAll(stream);
    await sleep(80);
    truncateSync(path, 10);
    expect(await reading).toBe(5000);
    expect(stream.bytesRead).toBe(5000);
  });

  it("ends when its signal aborts", async () => {
    const path = join(directory, "aborted.bin");
    writeFileSync(path, Buffer.alloc(100, 2));
    const controller = new AbortController();
    const stream = new FollowFileReadable(path, { pollIntervalMs: 10, idleExitMs: Number.POSITIVE_INFINITY, signal: controller.signal });
    const reading = readAll(stream);
    await sleep(50);
    controller.abort();
    expect(await reading).toBe(100);
  });

  it("fails with E_IO for a missing file", async () => {
    const stream = new FollowFileReadable(join(directory, "missing.pcapng"));
    await expect(readAll(stream)).rejects.toMatchObject({ code: "E_IO" });
  });

  it("can be destroyed while waiting for growth", async () => {
    const path = join(directory, "destroyed.bin");
    writeFileSync(path, Buffer.alloc(10, 3));
    const stream = new FollowFileReadable(path, { pollIntervalMs: 1000, idleExitMs: 60_000 });
    stream.resume();
    await sleep(50);
    stream.destroy();
    await new Promise((resolve) => stream.once("close", resolve));
    expect(stream.destroyed).toBe(true);
  });
});

describe("tickscope watch command", () => {
  async function runWatchCommand(args: string[]): Promise<{ stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const program = new Command("tickscope").exitOverride();
    registerWatchCommand(program);
    program.setOptionValue("streams", { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
    await program.parseAsync(["watch", ...args], { from: "user" });
    return { stdout, stderr };
  }

  it("prints one NDJSON alert per line and a summary on stderr", async () => {
    const path = join(directory, "command.pcapng");
    writeFileSync(path, match.pcapng);
    const { stdout, stderr } = await runWatchCommand([path, "--protocol", arenaPath, "--server-port", "7777", "--window", "5s", "--idle-exit", "0.2s", "--poll", "20ms"]);
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as WatchAlert);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.some((alert) => alert.alert === "latencySpike" && alert.session.startsWith(`udp:${match.truth.players[1]!.address}:`))).toBe(true);
    for (const alert of lines) expect(Object.keys(alert)).toEqual(["alert", "session", "tUs", "detectedAtUs", "values", "summary"]);
    expect(stderr).toMatch(/^watched \d+ packets, .*latencySpike 1/);
    const quiet = await runWatchCommand([path, "--protocol", arenaPath, "--idle-exit", "0.1s", "--quiet"]);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(stdout);
  }, 60_000);

  it("--config gives watch's anticheat detectors batch's analyses.anticheat settings", async () => {
    const path = join(directory, "config-watch.pcapng");
    writeFileSync(path, match.pcapng);
    // A speed limit no honest player keeps: with it, batch and watch both call everyone a movement cheat.
    const configPath = join(directory, "strict.config.json");
    writeFileSync(configPath, JSON.stringify({ analyses: { anticheat: { maxSpeedUnitsPerSecond: 0.01 } } }));
    const reasons = (stdout: string) =>
      stdout.trim() === "" ? [] : stdout.trim().split("\n").map((line) => (JSON.parse(line) as WatchAlert).values.reason).filter((reason) => reason !== undefined);
    const strict = await runWatchCommand([path, "--protocol", arenaPath, "--idle-exit", "0.1s", "--quiet", "--config", configPath]);
    const defaults = await runWatchCommand([path, "--protocol", arenaPath, "--idle-exit", "0.1s", "--quiet"]);
    expect(reasons(strict.stdout)).toContain("movement");
    expect(reasons(defaults.stdout)).not.toContain("movement");
  }, 60_000);

  it("accepts an in-memory definition and a plain stream", async () => {
    const { PassThrough } = await import("node:stream");
    const stream = new PassThrough();
    stream.end(match.pcapng);
    const alerts: WatchAlert[] = [];
    const summary = await runWatch({ source: stream, protocolDefinition: ARENA_DEFINITION, onAlert: (alert) => alerts.push(alert) });
    expect(summary.messages).toBeGreaterThan(0);
    const undecoded = new PassThrough();
    undecoded.end(match.pcapng);
    const raw = await runWatch({ source: undecoded, onAlert: (alert) => alerts.push(alert) });
    expect(raw.messages).toBe(0);
    expect(raw.packets).toBe(summary.packets);
  });

  it("reads stdin for -", async () => {
    const { PassThrough } = await import("node:stream");
    const stdin = new PassThrough();
    stdin.end(match.pcapng);
    const original = Object.getOwnPropertyDescriptor(process, "stdin")!;
    Object.defineProperty(process, "stdin", { configurable: true, get: () => stdin });
    try {
      const summary = await runWatch({ source: "-", protocolDefinition: ARENA_DEFINITION, onAlert: () => {} });
      expect(summary.packets).toBe(match.truth.summary.serverCapturePackets);
    } finally {
      Object.defineProperty(process, "stdin", original);
    }
  });
});
