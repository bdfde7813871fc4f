/** Kinds of findings the anticheat detectors produce (the `kind` of every finding). */
export const CHEAT_KINDS = [
  "speedhack",
  "lagSwitch",
  "fakeLatency",
  "tampering",
  "replay",
  "rewindAbuse",
  "movement",
  "inputFlooding",
  "botTiming",
] as const;

/** One detector kind. */
export type CheatKind = (typeof CHEAT_KINDS)[number];

/** Server-side mitigation suggested with every finding of a kind. */
export const MITIGATIONS: Readonly<Record<CheatKind, string>> = Object.freeze({
  speedhack:
    "Simulate on server time: accept at most one command per server tick, clamp the client's claimed elapsed time to real elapsed time, and kick clients whose clock rate stays off.",
  lagSwitch:
    "Cap how far back buffered commands may apply (drop or re-simulate commands older than the compensation window) and freeze the player server-side while its uplink is silent.",
  fakeLatency:
    "Measure RTT on the server (ping/pong, ack timing) and ignore client-reported latency; compensate shots by the measured RTT, never by the client's claim.",
  tampering:
    "Authenticate every packet (AEAD or MAC with a per-session key), reject values outside the definition's ranges, and disconnect on repeated violations.",
  replay:
    "Keep a per-session replay window (bitmask of recent authenticated sequence numbers) and drop repeated or too-old sequences; bind sequences to the MAC nonce.",
  rewindAbuse:
    "Clamp the rewind to min(compensation window, measured RTT + interpolation delay + margin) instead of trusting the client's target time.",
  movement:
    "Validate movement server-side: reject moves faster than the maximum speed (with a small tolerance) and teleports, and correct the client's position.",
  inputFlooding:
    "Rate-limit commands per connection (token bucket at the tick rate), process at most the budgeted commands per tick and drop the rest.",
  botTiming:
    "Flag for review and add server-side challenges (input-timing analysis over longer windows, human verification); do not auto-ban on timing alone.",
});
