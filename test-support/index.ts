import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root. */
export const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Absolute path of `../shared/captures` (public captures; never copied into the repo). */
export const sharedCapturesDirectory = join(repositoryRoot, "..", "shared", "captures");

/** True when the shared public captures are present beside the repository. */
export const hasSharedCaptures = existsSync(join(sharedCapturesDirectory, "MANIFEST.tsv"));

/** Message used by tests that skip because `../shared/captures` is absent. */
export const sharedCapturesSkipReason =
  "skipped: ../shared/captures is absent (public captures live beside the repo, never inside it)";

/** Absolute path of one shared capture file. */
export function sharedCapturePath(name: string): string {
  return join(sharedCapturesDirectory, name);
}

if (!hasSharedCaptures) {
  // Printed once per worker so the skip is visible in test output.
  console.warn(sharedCapturesSkipReason);
}
