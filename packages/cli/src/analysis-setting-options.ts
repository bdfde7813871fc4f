import type { Command } from "commander";
import { adapterFor } from "./analyses/registry.js";
import type { AnalysisName } from "./analysis-section.js";

/**
 * Adds the options that set an analysis's own settings (`--tolerance`,
 * `--budget` of bandwidth...) to `command`: one definition shared by
 * `tickscope analyze` and `tickscope <analysis>`. Only analyses whose options
 * become settings (`settingsFromOptions`) are added, so options needing a
 * second pass (latency's `--server-capture`) stay on their own subcommand.
 */
export function addAnalysisSettingOptions(command: Command, names: readonly AnalysisName[]): Command {
  const added = new Set(command.options.map((option) => option.long));
  for (const name of names) {
    const adapter = adapterFor(name);
    if (adapter.settingsFromOptions === undefined) continue;
    for (const option of adapter.commandOptions ?? []) {
      const long = option.flags.split(/[ ,]/)[0];
      if (added.has(long)) continue;
      added.add(long);
      command.option(option.flags, option.description, option.parse as never);
    }
  }
  return command;
}

/** The per-analysis settings: the config file's (`analyses`), overlaid with what the command-line options set for each of `names`. */
export function settingsWithOptions(configured: Record<string, unknown> | undefined, names: readonly AnalysisName[], options: Record<string, unknown>): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...(configured ?? {}) };
  for (const name of names) {
    const fromOptions = adapterFor(name).settingsFromOptions?.(options) ?? {};
    if (Object.keys(fromOptions).length === 0) continue;
    settings[name] = { ...((settings[name] as Record<string, unknown> | undefined) ?? {}), ...fromOptions };
  }
  return settings;
}
