import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { escapeTerminalText } from "../terminal-text.js";

/** Most captures one submission expands to (a month of 5-minute rotations on 100 servers is ~864k). */
export const MAX_SUBMITTED_CAPTURES = 1_000_000;

/** Orders file names as people read rotations: `match-9` before `match-10`. */
export function compareCaptureNames(left: string, right: string): number {
  return left.localeCompare(right, "en", { numeric: true }) || (left < right ? -1 : left > right ? 1 : 0);
}

/**
 * Expands the capture arguments of `fleet submit`: an existing file is taken
 * as is, anything else with glob characters is expanded (quoted globs, for
 * lists longer than the shell allows). Returns absolute paths (the workers
 * share the filesystem, not the working directory), without duplicates, in
 * argument order and each glob's matches in name order. A pattern matching no
 * file or a missing file is `E_IO`; stdin (`-`) is `E_INVALID_OPTION`.
 */
export async function expandCaptureArguments(argumentsGiven: readonly string[], workingDirectory = process.cwd()): Promise<string[]> {
  const paths: string[] = [];
  const seen = new Set<string>();
  const add = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    paths.push(path);
  };
  for (const argument of argumentsGiven) {
    if (argument === "-") {
      throw new TickscopeError(ErrorCode.invalidOption, "fleet submit cannot queue stdin (-): workers read captures from a shared filesystem", { hint: "give capture files or a glob" });
    }
    const absolute = resolve(workingDirectory, argument);
    const existing = await stat(absolute).catch(() => undefined);
    if (existing?.isFile()) {
      add(absolute);
      continue;
    }
    if (existing === undefined && isDynamicPattern(argument)) {
      const matches = await glob(argument, { cwd: workingDirectory, absolute: true, onlyFiles: true, expandDirectories: false });
      if (matches.length === 0) throw new TickscopeError(ErrorCode.io, `no file matches '${escapeTerminalText(argument)}'`, { hint: "check the pattern (quote it so the shell does not expand it first)" });
      for (const match of matches.map((path) => resolve(path)).sort(compareCaptureNames)) add(match);
    } else if (existing?.isDirectory()) {
      throw new TickscopeError(ErrorCode.io, `'${escapeTerminalText(argument)}' is a directory`, { hint: "give its files, e.g. 'dir/*.pcapng'" });
    } else {
      throw new TickscopeError(ErrorCode.io, `cannot read capture '${escapeTerminalText(argument)}': no such file`, { hint: "check the path (workers need it on the shared filesystem too)" });
    }
    if (paths.length > MAX_SUBMITTED_CAPTURES) {
      throw new TickscopeError(ErrorCode.invalidOption, `more than ${MAX_SUBMITTED_CAPTURES} captures in one submission`, { hint: "submit them in several runs" });
    }
  }
  return paths;
}

/** Parses `--group-by <regex>` (applied to each capture's file name). */
export function parseGroupPattern(text: string): RegExp {
  let pattern: RegExp;
  try {
    pattern = new RegExp(text);
  } catch (error) {
    throw new TickscopeError(ErrorCode.invalidOption, `--group-by '${escapeTerminalText(text.slice(0, 80))}' is not a regular expression: ${(error as Error).message}`, {
      hint: "e.g. --group-by '^(server-[0-9]+)-' to make each server's rotation one job",
    });
  }
  return pattern;
}

/** One job's captures: a rotation group, or a single capture. */
export interface CaptureGroup {
  /** The group key (`--group-by`'s first capturing group, or its whole match); undefined for a single capture. */
  key?: string;
  /** Absolute paths, in name order. */
  paths: string[];
}

/**
 * Groups captures for jobs: without a pattern each capture is its own group;
 * with one, captures whose file names give the same key (the first capturing
 * group, else the whole match) form one group in name order (rotation files
 * named by time sort in time order), and captures whose names do not match
 * stay single. Groups come in the order of their first capture.
 */
export function groupCaptures(paths: readonly string[], pattern: RegExp | undefined): CaptureGroup[] {
  if (pattern === undefined) return paths.map((path) => ({ paths: [path] }));
  const groups: CaptureGroup[] = [];
  const byKey = new Map<string, CaptureGroup>();
  for (const path of paths) {
    const match = pattern.exec(basename(path));
    if (match === null) {
      groups.push({ paths: [path] });
      continue;
    }
    const key = match[1] ?? match[0];
    let group = byKey.get(key);
    if (group === undefined) {
      group = { key, paths: [] };
      byKey.set(key, group);
      groups.push(group);
    }
    group.paths.push(path);
  }
  for (const group of groups) group.paths.sort((left, right) => compareCaptureNames(basename(left), basename(right)) || compareCaptureNames(left, right));
  return groups;
}
