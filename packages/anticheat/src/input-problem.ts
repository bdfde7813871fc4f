import type { DetectorEvent } from "./detector.js";
import type { AnticheatOptions } from "./options.js";
/**
 * Kinds of findings about the *input* rather than a player: a session whose
 * traffic (nearly) never verifies or decodes points at the key file or the
 * protocol definition, not at tampering. These findings carry no cheat score
 * and make the player's verdict `unreadable` (not judged).
 */
export const INPUT_PROBLEM_KINDS = ["keyMismatch", "keyMissing", "definitionMismatch"] as const;

/** One input-problem kind. */
export type InputProblemKind = (typeof INPUT_PROBLEM_KINDS)[number];

/** What to check, per input-problem kind (the finding's `mitigation`). */
export const INPUT_PROBLEM_HINTS: Readonly<Record<InputProblemKind, string>> = Object.freeze({
  keyMismatch:
    "Check the key file (--keys): the session id and direction of each line, that the client-to-server and server-to-client keys are not swapped, the key name of the AEAD transform, and the nonce/associated-data layout and protocol id in the definition. No player is judged on traffic that does not verify.",
  keyMissing:
    "Give the keys the definition's AEAD transform needs (E_KEY_MISSING: no key was available, not a wrong one): a key file with --keys, one line per session and direction (`<sessionId|*> <clientToServer|serverToClient|both> <hex key>`), inline `keys` in the definition, or a key provider. No player is judged on traffic that cannot be decrypted.",
  definitionMismatch:
    "Check the protocol definition against this traffic (tickscope inspect / decode --ndjson show where decoding fails): the match rules may select the wrong flows, or header, byte order, lengths or value ranges differ. No player is judged on traffic that does not decode.",
});

/** True when a finding kind is an input problem (not a cheat). */
export function isInputProblemKind(kind: string): kind is InputProblemKind {
  return kind === "keyMismatch" || kind === "keyMissing" || kind === "definitionMismatch";
}

/** A session's traffic that cannot be read (or read sensibly): a key or definition problem, not a player's. */
export interface InputProblem {
  kind: InputProblemKind;
  startUs: number;
  endUs: number;
  summary: string;
  values: Record<string, number | string | boolean>;
  packetIndices: number[];
}

/**
 * A definition that decodes another protocol's bytes "successfully" gives roles
 * no client could produce: a clock running thousands of times real time, or a
 * sequence number that repeats with a new payload in a large share of the
 * datagrams. No cheat looks like that (a speedhack runs at a few × real time; a
 * replay is a handful of datagrams), so such detector events are reported as a
 * `definitionMismatch` instead of accusing the player. Undefined when the events
 * are plausible.
 */
export function implausibleRoles(events: readonly DetectorEvent[], sequencedDatagrams: number, options: AnticheatOptions): InputProblem | undefined {
  const reasons: string[] = [];
  const values: Record<string, number | string | boolean> = {};
  let startUs = Number.POSITIVE_INFINITY;
  let endUs = Number.NEGATIVE_INFINITY;
  const packetIndices: number[] = [];
  for (const event of events) {
    let implausible = false;
    if (event.kind === "speedhack") {
      const rate = Number(event.values.meanClockRate);
      if (rate > options.maxPlausibleClockRate || rate < 1 / options.maxPlausibleClockRate) {
        implausible = true;
        values.meanClockRate = rate;
        reasons.push(`the sendTime/tick role runs at ${rate}× real time (a clock of another unit or not a clock)`);
      }
    } else if (event.kind === "replay" && sequencedDatagrams > 0) {
      const fraction = Math.min(1, Number(event.values.replays) / sequencedDatagrams);
      if (fraction > options.maxPlausibleReplayFraction) {
        implausible = true;
        values.repeatedSequenceFraction = Math.round(fraction * 1000) / 1000;
        reasons.push(`${Math.round(fraction * 1000) / 10}% of the sequenced datagrams reuse a sequence number (not a per-datagram sequence)`);
      }
    }
    if (!implausible) continue;
    startUs = Math.min(startUs, event.startUs);
    endUs = Math.max(endUs, event.endUs);
    for (const packet of event.packetIndices) if (packetIndices.length < 12) packetIndices.push(packet);
  }
  if (reasons.length === 0) return undefined;
  return {
    kind: "definitionMismatch",
    startUs,
    endUs,
    summary: `The decoded roles are not plausible for any client: ${reasons.join("; ")}. The protocol definition does not match this traffic; this is a problem of the input, not a player's cheat, and the player is not judged.`,
    values,
    packetIndices,
  };
}
