import { Type, type Static } from "@sinclair/typebox";
import { CHEAT_KINDS, type CheatSpec, type RegionSpec } from "@tickscope/sim";
import { parseJsonInput } from "./json-input.js";

const optionalNumber = (minimum: number, maximum: number) => Type.Optional(Type.Number({ minimum, maximum }));

/** Schema of a `simulate --regions` file: the simulator's `RegionSpec[]`. */
export const RegionsFileSchema = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 256 }),
      latitude: optionalNumber(-90, 90),
      longitude: optionalNumber(-180, 180),
      serverAddress: Type.Optional(Type.String({ minLength: 2, maxLength: 64 })),
      serverPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
      playerShare: optionalNumber(0, 1e9),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 256 },
);

/** Schema of a `simulate --cheats` file: the simulator's `CheatSpec[]` (kinds from `CHEAT_KINDS`). */
export const CheatsFileSchema = Type.Array(
  Type.Object(
    {
      playerId: Type.Integer({ minimum: 0, maximum: 4999 }),
      kind: Type.Union(CHEAT_KINDS.map((kind) => Type.Literal(kind))),
      startMs: optionalNumber(0, 86_400_000),
      endMs: optionalNumber(0, 86_400_000),
      intensity: optionalNumber(0, 1e6),
    },
    { additionalProperties: false },
  ),
  { maxItems: 100_000 },
);

/** Schema of a `simulate --profile file.json` document at the top level (the simulator checks each property). */
export const ProfileFileSchema = Type.Record(Type.String(), Type.Unknown());

/** Parses a `--regions` file's text; any problem is one `E_INVALID_OPTION` naming the JSON path. */
export function parseRegionsFile(text: string, file = "--regions"): RegionSpec[] {
  return parseJsonInput(RegionsFileSchema, text, { what: `regions file '${file}'`, hint: 'e.g. [{"name":"eu-west","latitude":53.3,"longitude":-6.3,"playerShare":1}]' });
}

/** Parses a `--cheats` file's text; any problem is one `E_INVALID_OPTION` naming the JSON path. */
export function parseCheatsFile(text: string, file = "--cheats"): CheatSpec[] {
  return parseJsonInput(CheatsFileSchema, text, { what: `cheats file '${file}'`, hint: 'e.g. [{"playerId":3,"kind":"speedhack","intensity":1.3}]' }) as CheatSpec[];
}

/** Parses a `--profile file.json` document's text (an object; the simulator validates its properties). */
export function parseProfileFile(text: string, file = "--profile"): Static<typeof ProfileFileSchema> {
  return parseJsonInput(ProfileFileSchema, text, { what: `profile '${file}'`, hint: "see the network profile JSON Schema of @tickscope/sim (NETWORK_PROFILE_JSON_SCHEMA)" });
}
