import { describe, expect, it } from "vitest";
import { CHEAT_KINDS } from "./cheat-kind.js";
import { formatShapeMatrix, MATRIX_PROFILES, missedFloors, runShapeMatrix, SHAPE_NAMES, type ShapeRow } from "./test-support/shape-matrix.js";
import { shapeSignatures } from "./test-support/shape-signatures.js";

/**
 * The protocol-shape matrix on a reduced grid (bench/eval.ts runs the full one): every shape of
 * issue 14, each on its own network profile (the profiles rotate through the shapes, 4g and
 * wifi-congested included), one 30-s match through the real pipeline (simulator → the shape's
 * definition → pcapng → capture → core's decoder → analyzer) with one cheater per simulated kind
 * and honest players. Floors on every shape: recall ≥ 90% per kind with a wire signature (here:
 * every cheater found), no honest player flagged.
 */
const PROFILE_OF: Record<(typeof SHAPE_NAMES)[number], string> = {
  arena: "cable",
  "le-wrapping-clock": "4g",
  "channel-acks": "wifi-congested",
  "combined-command": "dsl",
  "tick-clock": "5g",
  "aead-sequence64": "intercontinental",
  "redundant-inputs": "fibre",
};
const rows: ShapeRow[] = [];

describe("protocol-shape matrix (reduced grid, floors per shape)", () => {
  it.each(SHAPE_NAMES)("%s: every cheater with a wire signature found with its own kind, no honest player flagged", async (shape) => {
    const [row] = await runShapeMatrix({ shapes: [shape], profiles: [PROFILE_OF[shape]], seeds: [3], durationMs: 30_000, honestPlayers: 6 });
    rows.push(row!);
    expect(row!.rows.map((entry) => entry.kind)).toEqual([...CHEAT_KINDS]);
    expect(row!.honest).toBe(6);
    expect(missedFloors(row!), [...row!.misses, ...row!.falsePositives].join("\n")).toEqual([]);
    expect(row!.decodeAnomalies.E_DECRYPT_FAILED ?? 0).toBe(0);
  }, 120_000);

  it("covers every simulator profile among the shapes and prints the matrix", () => {
    expect(new Set(Object.values(PROFILE_OF)).size).toBe(SHAPE_NAMES.length);
    for (const profile of Object.values(PROFILE_OF)) expect(MATRIX_PROFILES).toContain(profile);
    const table = formatShapeMatrix(rows);
    console.log(table);
    expect(table.split("\n").filter((line) => line.startsWith("| arena | ")).length).toBe(CHEAT_KINDS.length + 1);
  });
});

describe("wire signatures of a shape", () => {
  it("every shipped shape carries every kind's signature", async () => {
    const { loadShape } = await import("./test-support/shape-matrix.js");
    for (const shape of SHAPE_NAMES) expect([...shapeSignatures(loadShape(shape)).keys()], shape).toEqual([]);
  });

  it("names what a definition without clocks, claimed times, positions, sequences or constraints cannot show", () => {
    const bare = { name: "bare", body: { frame: "one" }, messages: [{ name: "input", fields: [{ name: "inputSequence", type: "u32", role: "inputSequence" }] }] };
    const missing = shapeSignatures(bare);
    expect([...missing.keys()].sort()).toEqual(["fakeLatency", "movement", "replay", "rewindAbuse", "speedhack", "tampering"]);
    expect(missing.get("speedhack")!.reason).toContain("sendTime");
    expect(shapeSignatures({ ...bare, transforms: [{ type: "aead" }] }).has("tampering")).toBe(false);
    expect(shapeSignatures({ messages: [{ fields: [{ type: "u8", enum: [1, 2] }] }] }).has("tampering")).toBe(false);
    expect(shapeSignatures({ messages: [{ fields: [{ type: "quantized", min: 0, max: 1 }] }] }).has("tampering")).toBe(true);
  });
});
