import { lstat, mkdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ErrorCode, TickscopeError } from "@tickscope/core";

/** One file to write: its final path and contents. */
export interface PendingFile {
  /** Final path. */
  path: string;
  /** Contents: text (written as UTF-8) or bytes (written as they are, e.g. a gzip'd partial report). */
  text: string | Uint8Array;
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
}

function ioError(message: string, cause: unknown, hint = "check the path and permissions"): TickscopeError {
  return new TickscopeError(ErrorCode.io, message, { hint, cause });
}

/**
 * Creates `directory` (and its parents) for output; a path that exists and is
 * not a directory, or cannot be created, is `E_IO`.
 */
export async function ensureOutputDirectory(directory: string, option = "--out"): Promise<void> {
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw ioError(`${option} '${directory}' cannot be used as a directory: ${errnoOf(error)}`, error, "give a directory path (it is created when missing)");
  }
  let isDirectory = false;
  try {
    isDirectory = (await stat(directory)).isDirectory();
  } catch (error) {
    throw ioError(`${option} '${directory}' cannot be used as a directory: ${errnoOf(error)}`, error);
  }
  if (!isDirectory) throw ioError(`${option} '${directory}' is not a directory`, undefined, "give a directory path (it is created when missing)");
}

/**
 * Writes every file or none: each goes to a hidden temporary sibling
 * (`.<name>.<pid>-<n>.tmp`) and is renamed into place only when all were
 * written. On failure the temporary files are removed and one `E_IO` names
 * the file that failed; files written by earlier runs are left untouched.
 */
export async function writeFilesAtomically(files: readonly PendingFile[]): Promise<void> {
  const token = `${process.pid}-${Date.now().toString(36)}`;
  const temporaryOf = (path: string): string => join(dirname(path), `.${basename(path).slice(0, 160)}.${token}.tmp`);
  const written: string[] = [];
  const removeTemporaries = async (): Promise<void> => {
    await Promise.all(written.map((path) => unlink(path).catch(() => undefined)));
  };
  for (const file of files) {
    const temporary = temporaryOf(file.path);
    try {
      await writeFile(temporary, file.text, { flag: "wx" });
      written.push(temporary);
    } catch (error) {
      written.push(temporary);
      await removeTemporaries();
      throw ioError(`cannot write '${file.path}': ${errnoOf(error)}`, error);
    }
  }
  for (const file of files) {
    const existing = await lstat(file.path).catch(() => undefined);
    if (existing?.isDirectory()) {
      await removeTemporaries();
      throw ioError(`cannot write '${file.path}': a directory is in the way`, undefined, "remove or rename that directory");
    }
  }
  for (const [index, file] of files.entries()) {
    try {
      await rename(temporaryOf(file.path), file.path);
    } catch (error) {
      written.splice(0, index);
      await removeTemporaries();
      throw ioError(`cannot write '${file.path}': ${errnoOf(error)}`, error);
    }
  }
}
