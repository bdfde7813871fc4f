import type { Command } from "commander";
import type { AnticheatOptions } from "@tickscope/anticheat";
import { streamsOf } from "../command-context.js";
import { loadConfig } from "../config-file.js";
import { parseDurationSeconds, parsePortOption } from "../options.js";
import { formatAlertLine } from "../watch/watch-alert.js";
import { runWatch } from "../watch/run-watch.js";

interface WatchCommandOptions {
  protocol?: string;
  keys?: string;
  serverPort?: number[];
  window: number;
  idleExit: number;
  poll: number;
  anticheatEpoch: number;
  config?: string;
  quiet?: boolean;
}

/** Registers `tickscope watch <capture|->`. */
export function registerWatchCommand(program: Command): void {
  program
    .command("watch")
    .description("follow a live capture (growing file or stdin) and print NDJSON alerts: latencySpike, lossBurst, cheatSuspicion")
    .argument("<capture>", "pcap/pcapng file being written (followed as it grows), or - for stdin (tcpdump -w - ... | tickscope watch -)")
    .option("--protocol <definition>", "protocol definition JSON")
    .option("--keys <file>", "key file for encrypted protocols")
    .option("--server-port <port>", "a server port (repeatable)", parsePortOption)
    .option("--window <duration>", "rolling window for rates and counts, e.g. 10s", (text: string) => parseDurationSeconds(text), 10)
    .option("--idle-exit <duration>", "stop following a file after it has not grown for this long", (text: string) => parseDurationSeconds(text), 30)
    .option("--poll <duration>", "how often to look for new bytes in a followed file", (text: string) => parseDurationSeconds(text), 0.2)
    .option(
      "--anticheat-epoch <duration>",
      "capture time each run of batch anticheat's detectors covers (lag switch, fake latency, ... alerted when it ends; a new run every half of it; 0 = off)",
      (text: string) => parseDurationSeconds(text),
      60,
    )
    .option("--config <file>", "config file (default: ./tickscope.config.json when present): protocol, keys, server ports and analyses.anticheat, as batch reads them")
    .option("--quiet", "no summary line on stderr at the end")
    .action(async (capture: string, options: WatchCommandOptions, command: Command) => {
      const streams = streamsOf(command);
      const config = await loadConfig(options.config);
      const summary = await runWatch({
        source: capture,
        protocolPath: options.protocol ?? config.protocol,
        keysPath: options.keys ?? config.keys,
        serverPorts: options.serverPort ?? config.serverPorts,
        // The same anticheat thresholds as `tickscope anticheat` with this config.
        anticheat: config.analyses?.anticheat as Partial<AnticheatOptions> | undefined,
        detector: { windowMs: options.window * 1000, anticheatEpochMs: options.anticheatEpoch * 1000 },
        idleExitMs: options.idleExit * 1000,
        pollIntervalMs: options.poll * 1000,
        onAlert: (alert) => void streams.stdout.write(formatAlertLine(alert)),
      });
      if (!options.quiet) {
        const alerts = Object.entries(summary.alerts).map(([kind, count]) => `${kind} ${count}`).join(", ");
        streams.stderr.write(
          `watched ${summary.packets} packets, ${summary.messages} messages, ${summary.decodeAnomalies} decode anomalies; alerts: ${alerts}; peak ${summary.peakSessions} sessions\n`,
        );
      }
    });
}
