/**
 * Kinds of findings about the *input* rather than a player: a session whose
 * traffic (nearly) never verifies or decodes points at the key file or the
 * protocol definition, not at tampering. These findings carry no cheat score
 * and make the player's verdict `unreadable` (not judged).
 */
export const INPUT_PROBLEM_KINDS = ["keyMismatch", "definitionMismatch"] as const;

/** One input-problem kind. */
export type InputProblemKind = (typeof INPUT_PROBLEM_KINDS)[number];

/** What to check, per input-problem kind (the finding's `mitigation`). */
export const INPUT_PROBLEM_HINTS: Readonly<Record<InputProblemKind, string>> = Object.freeze({
  keyMismatch:
    "Check the key file (--keys): the session id and direction of each line, that the client-to-server and server-to-client keys are not swapped, the key name of the AEAD transform, and the nonce/associated-data layout and protocol id in the definition. No player is judged on traffic that does not verify.",
  definitionMismatch:
    "Check the protocol definition against this traffic (tickscope inspect / decode --ndjson show where decoding fails): the match rules may select the wrong flows, or header, byte order, lengths or value ranges differ. No player is judged on traffic that does not decode.",
});

/** True when a finding kind is an input problem (not a cheat). */
export function isInputProblemKind(kind: string): kind is InputProblemKind {
  return kind === "keyMismatch" || kind === "definitionMismatch";
}
