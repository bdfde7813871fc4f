import { describe, expect, it } from "vitest";
import { hasErrorCode, type FieldRecord } from "@tickscope/core";
import { LayoutReencoder, dequantizeValue, quantizeValue, type MessageLayout } from "./layout-reencoder.js";
import type { EncodingVariant } from "./reencoder.js";

const layout: MessageLayout = {
  type: "state",
  typeId: 3,
  typeIdBits: 4,
  fields: [
    { name: "tick", type: { kind: "uint", bits: 12 } },
    { name: "flags", type: { kind: "int", bits: 5 } },
    { name: "health", type: { kind: "quantized", min: 0, max: 100, bits: 7 } },
    { name: "name", type: { kind: "bytes", lengthBits: 4 } },
    { name: "alive", type: { kind: "bool" } },
    { name: "big", type: { kind: "uint", bits: 40 } },
    { name: "scale", type: { kind: "float64" } },
    {
      name: "players",
      type: {
        kind: "array",
        countBits: 3,
        keyField: "id",
        element: {
          kind: "struct",
          fields: [
            { name: "id", type: { kind: "uint", bits: 8 } },
            { name: "pos", type: { kind: "struct", fields: [{ name: "x", type: { kind: "float32" } }, { name: "y", type: { kind: "float32" } }] } },
          ],
        },
      },
    },
    { name: "samples", type: { kind: "array", countBits: 2, element: { kind: "float32" } } },
  ],
};

function state(overrides: Partial<Record<string, unknown>> = {}): FieldRecord {
  return {
    tick: 4000,
    flags: -7,
    health: 50,
    name: new Uint8Array([0x61, 0x62]),
    alive: true,
    big: 2 ** 39 + 12345,
    scale: Math.PI,
    players: [
      { id: 7, pos: { x: 1.5, y: -2.25 } },
      { id: 9, pos: { x: 10, y: 20 } },
    ],
    samples: [0.5],
    ...overrides,
  } as FieldRecord;
}

const delta: EncodingVariant = { delta: { baselineReferenceBits: 16 } };

describe("LayoutReencoder", () => {
  const reencoder = new LayoutReencoder([layout]);

  it("encodes to the exact bit count of the layout and decodes back", () => {
    // 4 + 12 + 5 + 7 + (4 + 16) + 1 + 40 + 64 + (3 + 2 × 72) + (2 + 32) = 334 bits → 42 bytes
    const bytes = reencoder.encode("state", state(), {}).slice();
    expect(bytes.length).toBe(42);
    const decoded = reencoder.decode("state", bytes, {});
    expect(decoded.tick).toBe(4000);
    expect(decoded.flags).toBe(-7);
    expect(Math.abs((decoded.health as number) - 50)).toBeLessThanOrEqual(100 / 127 / 2);
    expect([...(decoded.name as Uint8Array)]).toEqual([0x61, 0x62]);
    expect(decoded.alive).toBe(true);
    expect(decoded.big).toBe(2 ** 39 + 12345);
    expect(decoded.scale).toBe(Math.PI);
    expect(decoded.players).toEqual([
      { id: 7, pos: { x: 1.5, y: -2.25 } },
      { id: 9, pos: { x: 10, y: 20 } },
    ]);
    expect(decoded.samples).toEqual([0.5]);
  });

  it("accepts strings for byte fields and bigints / booleans for numbers", () => {
    const bytes = reencoder.encode("state", state({ name: "ab", big: 5n, alive: 0 }), {}).slice();
    expect(bytes.length).toBe(42);
    const decoded = reencoder.decode("state", bytes, {});
    expect(decoded.big).toBe(5);
    expect(decoded.alive).toBe(false);
  });

  it("delta: an unchanged message costs type id + baseline flag + reference + one bit", () => {
    const base = state();
    const bytes = reencoder.encode("state", state(), delta, base).slice();
    expect(bytes.length).toBe(Math.ceil((4 + 1 + 16 + 1) / 8));
    expect(reencoder.decode("state", bytes, delta, base)).toEqual(base);
  });

  it("delta: one changed coordinate costs exactly its flags and value", () => {
    const base = state();
    const changed = state({ players: [{ id: 7, pos: { x: 1.5, y: -2.25 } }, { id: 9, pos: { x: 11, y: 20 } }] });
    const bytes = reencoder.encode("state", changed, delta, base).slice();
    // header 4+1+16, changed 1, seven top-level leaf flags 7, players: count 3 + [8+1+1] + [8+1+1+1+(1+32)+1], samples: 2 + 1
    expect(bytes.length).toBe(Math.ceil((21 + 1 + 7 + 3 + 10 + 45 + 3) / 8));
    expect(reencoder.decode("state", bytes, delta, base)).toEqual(changed);
  });

  it("delta: keyed entities may reorder, appear and disappear", () => {
    const base = state();
    const next = state({ players: [{ id: 9, pos: { x: 10, y: 20 } }, { id: 4, pos: { x: 0, y: 0 } }], samples: [0.5, 0.25, 1] });
    const bytes = reencoder.encode("state", next, delta, base).slice();
    expect(reencoder.decode("state", bytes, delta, base)).toEqual(next);
    // Without a baseline the message is full size plus the "no baseline" bit.
    const full = reencoder.encode("state", next, delta).slice();
    expect(reencoder.decode("state", full, delta)).toEqual({ ...next, health: dequantizeValue(quantizeValue(50, { min: 0, step: 100 / 127, bits: 7 }), { min: 0, step: 100 / 127, bits: 7 }) });
    // 4 + 1 (no baseline) + 12 + 5 + 7 + 20 + 1 + 40 + 64 + (3 + 2 × 72) + (2 + 3 × 32) = 399 bits
    expect(full.length).toBe(Math.ceil(399 / 8));
  });

  it("delta: keyed entities are found by key whatever the order, sorted or not, the last of a repeated key winning", () => {
    const player = (id: number, x: number) => ({ id, pos: { x, y: 1 } });
    const fieldsWith = (players: ReturnType<typeof player>[]) => state({ players });
    const cases: [ReturnType<typeof player>[], ReturnType<typeof player>[]][] = [
      // Sorted base: same positions, shifted positions (binary search), missing and new keys.
      [[player(1, 1), player(3, 3), player(5, 5)], [player(1, 1), player(3, 4), player(5, 5)]],
      [[player(1, 1), player(3, 3), player(5, 5), player(6, 6)], [player(3, 3), player(6, 7), player(2, 2)]],
      // Unsorted base and a repeated key (a Map: the last one is the baseline).
      [[player(5, 5), player(1, 1), player(3, 3)], [player(1, 1), player(3, 3), player(5, 6)]],
      [[player(2, 9), player(4, 4), player(2, 2)], [player(2, 2), player(4, 4)]],
    ];
    for (const [basePlayers, nextPlayers] of cases) {
      const base = fieldsWith(basePlayers);
      const next = fieldsWith(nextPlayers);
      const bytes = reencoder.encode("state", next, delta, base).slice();
      expect(reencoder.decode("state", bytes, delta, base)).toEqual(next);
      expect(reencoder.encodedLength("state", next, delta, base)).toBe(bytes.length);
    }
    // The repeated key: the entity equal to the last copy costs only its key and two bits.
    const repeated = reencoder.encode("state", fieldsWith([player(2, 2)]), delta, fieldsWith([player(2, 9), player(2, 2)])).length;
    const changed = reencoder.encode("state", fieldsWith([player(2, 2)]), delta, fieldsWith([player(2, 2), player(2, 9)])).length;
    expect(repeated).toBeLessThan(changed);
  });

  it("quantization: values are sent as integers and the error stays within step / 2", () => {
    const variant: EncodingVariant = {
      quantize: new Map([
        ["players[].pos.x", { min: -16, step: 0.01, bits: 12 }],
        ["tick", { min: 3990, step: 1, bits: 5 }],
      ]),
    };
    const fields = state({ players: [{ id: 7, pos: { x: 1.503, y: 0 } }, { id: 9, pos: { x: 99, y: 0 } }] });
    const bytes = reencoder.encode("state", fields, variant).slice();
    expect(bytes.length).toBe(Math.ceil((334 - 7 - 2 * 20) / 8));
    const decoded = reencoder.decode("state", bytes, variant);
    expect(decoded.tick).toBe(4000);
    const players = decoded.players as { pos: { x: number } }[];
    expect(Math.abs(players[0]!.pos.x - 1.503)).toBeLessThanOrEqual(0.005 + 1e-12);
    // Out of range: clamped to the top of the range.
    expect(players[1]!.pos.x).toBeCloseTo(-16 + 4095 * 0.01, 9);
    expect(quantizeValue(-100, { min: 0, step: 1, bits: 3 })).toBe(0);
    expect(quantizeValue(Number.NaN, { min: 0, step: 1, bits: 3 })).toBe(0);
    expect(dequantizeValue(7, { min: 1, step: 0.5, bits: 3 })).toBe(4.5);
  });

  it("delta compares values after quantization", () => {
    const variant: EncodingVariant = { quantize: new Map([["scale", { min: 0, step: 0.5, bits: 4 }]]), delta: { baselineReferenceBits: 0 } };
    const base = state({ scale: 3.1 });
    const bytes = reencoder.encode("state", state({ scale: 3.05 }), variant, base).slice();
    expect(bytes.length).toBe(Math.ceil((4 + 1 + 1) / 8));
  });

  it("describes leaves and entity arrays", () => {
    expect(reencoder.messageTypes()).toEqual(["state"]);
    const leaves = reencoder.leaves("state")!;
    expect(leaves.map((leaf) => `${leaf.path}:${leaf.kind}:${leaf.bits}`)).toEqual([
      "tick:uint:12",
      "flags:int:5",
      "health:quantized:7",
      "name:bytes:4",
      "alive:bool:1",
      "big:uint:40",
      "scale:float64:64",
      "players[].id:uint:8",
      "players[].pos.x:float32:32",
      "players[].pos.y:float32:32",
      "samples[]:float32:32",
    ]);
    expect(leaves[2]!.quantization).toEqual({ min: 0, step: 100 / 127, bits: 7 });
    expect(reencoder.leaves("state")).toBe(leaves);
    expect(reencoder.leaves("nope")).toBeUndefined();
    expect(reencoder.entityArrays("state")).toEqual([{ field: "players", keyField: "id" }]);
    expect(reencoder.entityArrays("nope")).toEqual([]);
  });

  it("visits leaves with widths and change flags against the previous message", () => {
    const seen: string[] = [];
    const previous = state();
    const known = reencoder.visitLeaves("state", state({ tick: 4001, players: [{ id: 9, pos: { x: 10, y: 21 } }] }), previous, (path, bits, changed) => {
      if (changed) seen.push(`${path}:${bits}`);
    });
    expect(known).toBe(true);
    expect(seen).toEqual(["tick:12", "players[].pos.y:32"]);
    const all: string[] = [];
    reencoder.visitLeaves("state", state(), undefined, (path, bits, changed) => all.push(`${path}:${bits}:${changed}`));
    expect(all).toContain("name:20:true");
    expect(reencoder.visitLeaves("nope", {}, undefined, () => undefined)).toBe(false);
  });

  it("rejects values that do not fit and unknown types with typed errors", () => {
    const cases: [string, FieldRecord][] = [
      ["state", state({ tick: 5000 })],
      ["state", state({ tick: 1.5 })],
      ["state", state({ flags: 16 })],
      ["state", state({ name: new Uint8Array(16) })],
      ["state", state({ name: 3 })],
      ["state", state({ players: "x" })],
      ["state", state({ players: [1] })],
      ["state", state({ players: [{}, {}, {}, {}, {}, {}, {}, {}] })],
      ["state", state({ scale: "pi" })],
      ["nope", {}],
    ];
    for (const [type, fields] of cases) {
      let error: unknown;
      try {
        reencoder.encode(type, fields, {});
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, "E_ENCODE_FAILED"), JSON.stringify(fields, (_k, v) => (typeof v === "bigint" ? String(v) : v))).toBe(true);
    }
    expect(() => new LayoutReencoder([layout, layout])).toThrow(/duplicate layout/);
  });

  it("rejects decoding a wrong type id or a delta message without its baseline", () => {
    const other = new LayoutReencoder([{ ...layout, type: "other", typeId: 4 }]);
    const bytes = other.encode("other", state(), {}).slice();
    expect(() => reencoder.decode("state", bytes, {})).toThrow(/type id 4/);
    const deltaBytes = reencoder.encode("state", state(), delta, state()).slice();
    expect(() => reencoder.decode("state", deltaBytes, delta)).toThrow(/no baseline/);
    const keyed = reencoder.encode("state", state(), delta, state({ players: [{ id: 7, pos: { x: 0, y: 0 } }, { id: 9, pos: { x: 0, y: 0 } }] })).slice();
    expect(() => reencoder.decode("state", keyed, delta, state({ players: [] }))).toThrow(/baseline has no entity/);
  });

  it("encodedLength is the length encode returns, for every variant, and fails where encode fails", () => {
    const quantize: EncodingVariant = { quantize: new Map([["players[].pos.x", { min: -20, step: 0.01, bits: 12 }]]) };
    const both: EncodingVariant = { ...quantize, ...delta };
    const moved = state({ tick: 4001, players: [{ id: 9, pos: { x: 10, y: 21 } }, { id: 11, pos: { x: 0, y: 0 } }], name: "abc", samples: [] });
    const cases: [EncodingVariant, FieldRecord, FieldRecord | undefined][] = [
      [{}, state(), undefined],
      [quantize, state(), undefined],
      [delta, state(), undefined],
      [delta, state(), state()],
      [delta, moved, state()],
      [both, moved, state()],
      [{}, state({ name: new Uint8Array(15), big: 0, flags: 15 }), undefined],
    ];
    for (const [variant, fields, baseline] of cases) {
      const expected = reencoder.encode("state", fields, variant, baseline).length;
      expect(reencoder.encodedLength("state", fields, variant, baseline)).toBe(expected);
    }
    expect(() => reencoder.encodedLength("state", state({ tick: 5000 }), {})).toThrow(/does not fit uint12/);
    expect(() => reencoder.encodedLength("state", state({ flags: -17 }), {})).toThrow(/does not fit int5/);
  });
});

describe("LayoutReencoder.encodedLength (compiled per variant)", () => {
  const rich: MessageLayout = {
    type: "rich",
    typeId: 1,
    typeIdBits: 3,
    frame: [{ name: "length", type: { kind: "uint", bits: 10 } }],
    fields: [
      { name: "serial", type: { kind: "uint", bits: 64 } },
      { name: "offset", type: { kind: "int", bits: 60 } },
      { name: "count", type: { kind: "int", bits: 9 } },
      { name: "label", type: { kind: "bytes", lengthBits: 3 } },
      { name: "rotation", type: { kind: "struct", fields: ["w", "x", "y", "z"].map((name) => ({ name, type: { kind: "float32" as const } })) } },
      { name: "corners", type: { kind: "array", countBits: 0, fixedCount: 2, element: { kind: "quantized", min: -1, max: 1, bits: 6 } } },
      {
        name: "entities",
        type: {
          kind: "array",
          countBits: 3,
          keyField: "id",
          element: {
            kind: "struct",
            fields: [
              { name: "id", type: { kind: "uint", bits: 6 } },
              { name: "hp", type: { kind: "quantized", min: 0, max: 100, bits: 7 } },
              { name: "on", type: { kind: "bool" } },
              { name: "at", type: { kind: "struct", fields: [{ name: "x", type: { kind: "float32" } }, { name: "y", type: { kind: "float64" } }] } },
              { name: "spin", type: { kind: "struct", fields: ["a", "b", "c", "d"].map((name) => ({ name, type: { kind: "float32" as const } })) } },
            ],
          },
        },
      },
      { name: "tags", type: { kind: "array", countBits: 2, element: { kind: "uint", bits: 4 } } },
    ],
  };
  const reencoder = new LayoutReencoder([rich]);

  /** Park–Miller generator: the same cases every run. */
  function generator(seed: number): () => number {
    let state = seed;
    return () => (state = (state * 48271) % 2147483647) / 2147483647;
  }

  function unit(random: () => number): Record<string, number> {
    const raw = [random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5];
    const norm = Math.hypot(...raw) || 1;
    return { w: raw[0]! / norm, x: raw[1]! / norm, y: raw[2]! / norm, z: raw[3]! / norm };
  }

  function message(random: () => number): FieldRecord {
    const entities = Array.from({ length: Math.floor(random() * 5) }, () => {
      const spin = unit(random);
      // Small jitters: values that differ but quantize alike (and some that do not).
      return {
        id: Math.floor(random() * 8),
        hp: Math.round(random() * 4) * 25 + random() * 0.5,
        on: random() < 0.5,
        at: { x: Math.round(random() * 3) + random() * 0.3, y: Math.round(random() * 3) },
        spin: { a: spin.w, b: spin.x, c: spin.y, d: spin.z },
      };
    });
    const fields: Record<string, unknown> = {
      length: 5,
      serial: random() < 0.5 ? 2n ** 63n + 5n : 7,
      offset: random() < 0.5 ? -(2n ** 40n) : 3,
      count: Math.floor(random() * 3) - 1,
      label: random() < 0.5 ? "ab" : new Uint8Array(Math.floor(random() * 3)),
      rotation: unit(random),
      corners: [Math.round(random() * 2) - 1, 0.5],
      entities,
      tags: Array.from({ length: Math.floor(random() * 3) }, () => Math.floor(random() * 3)),
    };
    // Now and then a value the layout cannot hold: both paths must fail the same way.
    const broken = random();
    if (broken < 0.04) fields.count = 1000;
    else if (broken < 0.08) fields.label = 12;
    else if (broken < 0.12) fields.entities = [null];
    else if (broken < 0.16) fields.tags = [1, 2, 3, 4];
    else if (broken < 0.2) fields.corners = [0];
    else if (broken < 0.24) fields.serial = 1.5;
    else if (broken < 0.28) fields.rotation = null;
    else if (broken < 0.3) fields.length = "x";
    else if (broken < 0.32 && entities.length > 0) (entities[0] as Record<string, unknown>).at = 4;
    else if (broken < 0.34 && entities.length > 0) (entities[0] as Record<string, unknown>).hp = "full";
    else if (broken < 0.36) fields.corners = ["left", 0];
    return fields as FieldRecord;
  }

  function outcome(run: () => number): number | string {
    try {
      return run();
    } catch (error) {
      return hasErrorCode(error, "E_ENCODE_FAILED") ? "E_ENCODE_FAILED" : String(error);
    }
  }

  it("gives encode's length or its error for every variant, baseline and broken value", () => {
    const quantize = new Map([
      ["count", { min: -1, step: 1, bits: 2 }],
      ["entities[].at.x", { min: 0, step: 0.5, bits: 3 }],
      ["entities[].id", { min: 0, step: 1, bits: 3 }],
      ["serial", { min: 0, step: 1, bits: 5 }],
      ["tags[]", { min: 0, step: 1, bits: 2 }],
    ]);
    const smallestThree = new Map([
      ["rotation", { fields: ["w", "x", "y", "z"] as const, bits: 9 }],
      ["entities[].spin", { fields: ["a", "b", "c", "d"] as const, bits: 7 }],
    ]);
    const deltaSpec = { baselineReferenceBits: 5 };
    const variants: EncodingVariant[] = [{}, { quantize }, { smallestThree }, { delta: deltaSpec }, { quantize, delta: deltaSpec }, { quantize, smallestThree, delta: deltaSpec }];
    const random = generator(20261205);
    let failures = 0;
    let checked = 0;
    let previous: FieldRecord | undefined;
    for (let index = 0; index < 400; index++) {
      const fields = message(random);
      for (const variant of variants) {
        for (const baseline of [undefined, previous, fields]) {
          const expected = outcome(() => reencoder.encode("rich", fields, variant, baseline).length);
          expect(outcome(() => reencoder.encodedLength("rich", fields, variant, baseline))).toBe(expected);
          if (expected === "E_ENCODE_FAILED") failures += 1;
          checked += 1;
        }
      }
      previous = fields;
    }
    // The cases reach both outcomes.
    expect(failures).toBeGreaterThan(100);
    expect(checked - failures).toBeGreaterThan(2000);
  });
});
