/**
 * Types of the repository's shared test helpers. vitest resolves
 * `@tickscope-test/support` through an alias (vitest.shared.ts); tsc does not,
 * so every package typecheck includes this one declaration (see each tsconfig.json).
 */
declare module "@tickscope-test/support" {
  /** Absolute path of the repository root. */
  export const repositoryRoot: string;
  /** Absolute path of `../shared/captures`. */
  export const sharedCapturesDirectory: string;
  /** True when the shared public captures are present beside the repository. */
  export const hasSharedCaptures: boolean;
  /** Message used by tests that skip because `../shared/captures` is absent. */
  export const sharedCapturesSkipReason: string;
  /** Absolute path of one shared capture file. */
  export function sharedCapturePath(name: string): string;
}
