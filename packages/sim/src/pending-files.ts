import { lstatSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ErrorCode, TickscopeError } from "@tickscope/core";

/**
 * The temporary name a file is written under before it is complete: a hidden
 * sibling in the same directory (so the final rename is atomic on one file
 * system), `.<name>.<token>.tmp`.
 */
export function temporaryPathOf(path: string, token: string): string {
  const name = basename(path);
  // keep long names under the usual 255-byte limit once the suffix is added
  const shown = name.length > 160 ? `${name.slice(0, 100)}-${fnv1a(name)}` : name;
  return join(dirname(path), `.${shown}.${token}.tmp`);
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

/** Removes the temporary files of `paths` (missing ones are fine; nothing throws). */
export function discardPendingFiles(paths: readonly string[], token: string): void {
  for (const path of paths) {
    try {
      unlinkSync(temporaryPathOf(path, token));
    } catch {
      // already gone, or never created
    }
  }
}

/**
 * Renames every complete temporary file into place. A target that is a
 * directory is refused before anything is renamed; on any failure the
 * temporary files still pending are removed and `E_IO` names the file.
 */
export function commitPendingFiles(paths: readonly string[], token: string): void {
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = lstatSync(path).isDirectory();
    } catch {
      // no file there yet: fine
    }
    if (isDirectory) {
      discardPendingFiles(paths, token);
      throw new TickscopeError(ErrorCode.io, `cannot write ${path}: it is a directory`, { hint: "give a file path" });
    }
  }
  for (const [index, path] of paths.entries()) {
    try {
      renameSync(temporaryPathOf(path, token), path);
    } catch (cause) {
      discardPendingFiles(paths.slice(index), token);
      throw new TickscopeError(ErrorCode.io, `cannot write ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, {
        hint: "check the path and permissions",
        cause,
      });
    }
  }
}
