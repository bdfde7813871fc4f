import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { MatchOptions } from "./match-options.js";
import { createRoleMappedEncoder } from "./role-mapped-encoder.js";
import { decodeArenaCapture } from "./test-support/decode.js";
import { simulateMatchToMemory } from "./write-match-capture.js";

/** The example protocol shapes of examples/protocols/README.md ('Protocol shapes'). */
export const SHAPE_NAMES = ["le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64"] as const;

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const load = (name: string): unknown => JSON.parse(readFileSync(`${examples}${name}.json`, "utf8"));
const MATCH: MatchOptions = { seed: 1, players: 8, durationMs: 20_000, tickRate: 30, profile: "4g", cheats: 0 };

describe.each(SHAPE_NAMES)("shape %s", (shape) => {
  it("simulates a match that decodes with 0 anomalies, every message type present", async () => {
    const definition = load(shape);
    const run = simulateMatchToMemory(MATCH, { protocol: definition });
    const decoded = await decodeArenaCapture(run.pcapng, createRoleMappedEncoder(definition).protocol);
    const types = new Map<string, number>();
    for (const message of decoded.messages) types.set(message.type, (types.get(message.type) ?? 0) + 1);
    console.log(shape, decoded.packets.length, JSON.stringify(Object.fromEntries(types)), JSON.stringify(decoded.decodeAnomalies), JSON.stringify(decoded.captureAnomalies));
    expect(decoded.packets.length).toBe(run.truth.summary.serverCapturePackets);
    expect(decoded.decodeAnomalies).toEqual({});
    expect(decoded.captureAnomalies).toEqual({});
  });
});
