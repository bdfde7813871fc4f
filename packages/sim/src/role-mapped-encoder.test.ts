import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { ARENA_DEFINITION } from "./arena-definition.js";
import { MemorySink } from "./byte-sink.js";
import type { MatchOptions } from "./match-options.js";
import { simulateMatch } from "./match-simulator.js";
import { createRoleMappedEncoder } from "./role-mapped-encoder.js";

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const load = (name: string): unknown => JSON.parse(readFileSync(`${examples}${name}.json`, "utf8"));
const MATCH: MatchOptions = { seed: 3, players: 6, durationMs: 4000, tickRate: 30, profile: "4g", cheats: 6 };

describe("createRoleMappedEncoder", () => {
  it("writes arena through its roles byte-identically to arena's own encoder (cheats included)", () => {
    const arena = new MemorySink();
    simulateMatch(MATCH, { capture: arena });
    const mapped = new MemorySink();
    simulateMatch(MATCH, { capture: mapped, encoder: createRoleMappedEncoder(ARENA_DEFINITION) });
    expect(sha256(mapped.toUint8Array())).toBe(sha256(arena.toUint8Array()));
  });

  it("names every missing role in one E_PROTOCOL_UNSUPPORTED error", () => {
    const definition = { name: "tiny", body: { repeat: "untilEnd", frameHeader: [{ name: "type", type: "u8", role: "messageType" }], select: { on: "type", cases: [{ value: 1, message: "hello" }] } }, messages: [{ name: "hello", fields: [{ name: "value", type: "u8" }] }] };
    let caught: unknown;
    try {
      createRoleMappedEncoder(definition);
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, "E_PROTOCOL_UNSUPPORTED")).toBe(true);
    const message = (caught as Error).message;
    for (const role of ["inputSequence", "entities", "targetTime", "echoPhase request", "echoPhase reply", "sequence (", "ack (", "sendTime ("]) expect(message).toContain(role);
  });

  it.each(["le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64"])("writes %s identically in compiled and interpreted mode", (shape) => {
    const options: MatchOptions = { seed: 5, players: 3, durationMs: 2500, tickRate: 30, cheats: 3 };
    const compiled = new MemorySink();
    simulateMatch(options, { capture: compiled, encoder: createRoleMappedEncoder(load(shape)) });
    const interpreted = new MemorySink();
    simulateMatch(options, { capture: interpreted, encoder: createRoleMappedEncoder(load(shape), "interpreted") });
    expect(sha256(interpreted.toUint8Array())).toBe(sha256(compiled.toUint8Array()));
  });

  it.each([
    ["netcode", ['body.repeat "untilEnd"', "inline keys", "inputSequence", "ack ("]],
    ["firefall", ["a single body"]],
    ["rtp", ["inputSequence", "targetTime", "echoPhase request", "ack ("]],
  ])("rejects %s with E_PROTOCOL_UNSUPPORTED naming what is missing", (name, parts) => {
    let caught: unknown;
    try {
      createRoleMappedEncoder(load(name));
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, "E_PROTOCOL_UNSUPPORTED")).toBe(true);
    for (const part of parts) expect((caught as Error).message).toContain(part);
  });

  it("rejects an invalid definition with E_DEFINITION_INVALID", () => {
    let caught: unknown;
    try {
      createRoleMappedEncoder({ name: "broken" });
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, "E_DEFINITION_INVALID")).toBe(true);
  });
});
