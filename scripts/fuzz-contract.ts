/**
 * The contract between `pnpm fuzz` (scripts/fuzz.ts) and its targets
 * (`packages/<package>/fuzz/<name>.fuzz.ts`): each target module exports
 * `runFuzz(options: FuzzRunOptions): Promise<FuzzRunResult[]>`, one result per
 * target it runs. Declared once here; targets import these types only.
 */

/** One contract violation, reproducible from its seed (`--cases 1 --seed <seed>`). */
export interface FuzzEscape {
  target: string;
  seed: number;
  message: string;
}

/** What one target ran and found. */
export interface FuzzRunResult {
  target: string;
  cases: number;
  escapes: FuzzEscape[];
}

/** How many cases to run; case `i` uses seed `seed + i`. */
export interface FuzzRunOptions {
  cases: number;
  seed: number;
}
