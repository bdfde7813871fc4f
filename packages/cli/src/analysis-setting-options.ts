import type { Command } from "commander";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { adapterFor, availableAnalyses } from "./analyses/registry.js";
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

/** Commander's attribute name of an option's flags (`--server-capture <file>` → `serverCapture`). */
function attributeOf(flags: string): string {
  const long = flags.split(/[ ,]/)[0]!.replace(/^--/, "");
  return long.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * Throws `E_USAGE` when the command line sets an analysis's own option
 * (`--tolerance`, `--budget`...) while none of the analyses that read it
 * runs (`--only latency --tolerance position=0.01`): an option that would be
 * silently ignored is an error, not a note nobody reads.
 */
export function assertAnalysisOptionsApply(names: readonly AnalysisName[], options: Record<string, unknown>): void {
  const selected = new Set(names);
  const readers = new Map<string, { flag: string; analyses: AnalysisName[] }>();
  for (const name of availableAnalyses()) {
    const adapter = adapterFor(name);
    if (adapter.settingsFromOptions === undefined) continue;
    for (const option of adapter.commandOptions ?? []) {
      const attribute = attributeOf(option.flags);
      const entry = readers.get(attribute) ?? { flag: option.flags.split(/[ ,]/)[0]!, analyses: [] };
      entry.analyses.push(name);
      readers.set(attribute, entry);
    }
  }
  for (const [attribute, { flag, analyses }] of readers) {
    if (options[attribute] === undefined || analyses.some((name) => selected.has(name))) continue;
    throw new TickscopeError(ErrorCode.usage, `${flag} applies to ${analyses.join(", ")}, which the selected analyses (${names.join(",")}) leave out`, {
      hint: `add ${analyses.join(",")} to --only, or drop ${flag}`,
    });
  }
}
