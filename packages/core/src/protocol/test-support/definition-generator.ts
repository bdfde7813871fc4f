import { seededRandom } from "../../test-support/protocols.js";

/**
 * Random protocol definitions for fuzzing the definition compiler: well-formed
 * ones (every construct of the language, references only to earlier fields) and
 * hostile ones (the same, plus constructs meant to break validation, decoders
 * and encoders: empty elements, huge counts, deep nesting, bad names and keys,
 * wrong types). Deterministic per seed.
 */

/** A seeded source of random choices. */
export class FuzzRandom {
  private readonly next: () => number;

  /** A source seeded with `seed` (same seed, same choices). */
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [minimum, maximum]. */
  integer(minimum: number, maximum: number): number {
    return minimum + Math.floor(this.next() * (maximum - minimum + 1));
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Random bytes, biased towards zeros and small values (so counts and lengths are often plausible). */
  bytes(length: number): Uint8Array {
    const result = new Uint8Array(length);
    const style = this.integer(0, 3);
    for (let index = 0; index < length; index++) {
      if (style === 0) result[index] = 0;
      else if (style === 1) result[index] = this.chance(0.7) ? this.integer(0, 3) : this.integer(0, 255);
      else result[index] = this.integer(0, 255);
    }
    return result;
  }
}

/** A field the generator may refer to later (count, length, condition, switch, key). */
interface ScopeField {
  name: string;
  /** An unsigned integer field of at most 8 bits: good as count, length, selector or key. */
  small: boolean;
  integer: boolean;
}

type Json = Record<string, unknown>;

const FIXED_INTEGERS = ["u8", "u16", "u24", "u32", "u48", "u64", "i8", "i16", "i24", "i32", "i48", "i64"] as const;

/** Generator state for one definition. */
class DefinitionBuilder {
  private counter = 0;
  private nodes = 0;
  readonly types: Record<string, Json> = {};

  constructor(readonly random: FuzzRandom) {}

  name(): string {
    this.counter += 1;
    return `f${this.counter}`;
  }

  /** A field list of `count` fields; `scope` holds what earlier fields (and enclosing ones) may be referred to. */
  fields(count: number, scope: ScopeField[], depth: number): Json[] {
    const local = [...scope];
    const result: Json[] = [];
    for (let index = 0; index < count; index++) {
      const name = this.name();
      const field: Json = { name, ...this.node(local, depth) };
      if (local.length > 0 && this.random.chance(0.12)) field.when = this.condition(local);
      result.push(field);
      const type = field.type as string;
      const small = type === "u8" || (type === "uint" && typeof field.bits === "number" && field.bits <= 8);
      local.push({ name, small: small && field.when === undefined, integer: FIXED_INTEGERS.includes(type as never) || type === "uint" || type === "int" || type === "varint" });
    }
    return result;
  }

  condition(scope: ScopeField[]): Json {
    const target = this.random.pick(scope);
    switch (this.random.integer(0, 4)) {
      case 0:
        return { field: target.name, equals: this.random.integer(0, 3) };
      case 1:
        return { field: target.name, notEquals: this.random.integer(0, 3) };
      case 2:
        // Long lists are looked up in a set: both lengths.
        return { field: target.name, in: Array.from({ length: this.random.chance(0.3) ? 20 : 2 }, () => this.random.integer(0, 40)) };
      case 3:
        return { field: target.name, bitsSet: this.random.integer(0, 3) };
      default:
        return { field: target.name };
    }
  }

  /** An anonymous node (field without name). */
  node(scope: ScopeField[], depth: number): Json {
    this.nodes += 1;
    const random = this.random;
    const small = scope.filter((field) => field.small);
    const integers = scope.filter((field) => field.integer);
    const composite = depth < 4 && this.nodes < 60;
    const roll = random.integer(0, composite ? 15 : 9);
    switch (roll) {
      case 0:
      case 1: {
        const type = random.pick(FIXED_INTEGERS);
        const field: Json = { type };
        if (random.chance(0.2)) field.byteOrder = random.pick(["big", "little"]);
        if (random.chance(0.1)) field.min = random.integer(0, 10);
        if (random.chance(0.1)) field.max = random.integer(10, 300);
        if (random.chance(0.05)) field.enum = [0, 1, 2];
        return field;
      }
      case 2: {
        const bits = random.integer(1, 64);
        const field: Json = { type: random.pick(["uint", "int"]), bits };
        if (bits % 8 === 0 && random.chance(0.3)) field.byteOrder = "little";
        return field;
      }
      case 3:
        if (small.length > 0 && random.chance(0.3)) return { type: random.pick(["uint", "int"]), byteLength: { field: random.pick(small).name } };
        return { type: "varint", zigzag: random.chance(0.5) };
      case 4:
        return { type: random.pick(["f32", "f64"]), ...(random.chance(0.3) ? { byteOrder: "little" } : {}) };
      case 5: {
        const min = random.integer(-1000, 1000);
        return { type: "quantized", min, max: min + random.integer(1, 2000), bits: random.integer(1, 32) };
      }
      case 6:
        return { type: "bool", ...(random.chance(0.5) ? { bits: random.integer(1, 8) } : {}) };
      case 7:
      case 8: {
        const field: Json = { type: random.pick(["bytes", "string"]), length: this.length(small) };
        if (field.type === "string" && random.chance(0.3)) field.encoding = random.pick(["utf8", "ascii"]);
        if (typeof field.length !== "number" && random.chance(0.3)) field.maxLength = random.integer(0, 40);
        return field;
      }
      case 9:
        return { type: "u8" };
      case 10:
      case 11:
        return { type: "struct", fields: this.fields(random.integer(0, 4), scope, depth + 1) };
      case 12:
      case 13:
        return this.array(scope, small, depth);
      case 14: {
        if (integers.length === 0) return { type: "u16" };
        const on = random.pick(integers).name;
        // Long value lists are looked up in a map: both kinds, overlapping values (the first case wins).
        const cases = Array.from({ length: random.integer(1, 3) }, (_, index) => ({
          value: random.chance(0.3) ? Array.from({ length: 20 }, () => random.integer(0, 40)) : index,
          fields: this.fields(random.integer(0, 3), scope, depth + 1),
        }));
        const field: Json = { type: "switch", on, cases };
        if (random.chance(0.5)) field.default = { fields: this.fields(random.integer(0, 2), scope, depth + 1) };
        return field;
      }
      default: {
        const typeName = `t${this.counter}_${Object.keys(this.types).length}`;
        this.types[typeName] = { type: "struct", fields: this.fields(random.integer(1, 3), [], depth + 1) };
        return { type: "ref", ref: typeName };
      }
    }
  }

  length(small: ScopeField[]): unknown {
    const random = this.random;
    switch (random.integer(0, 4)) {
      case 0:
        return random.integer(0, 6);
      case 1:
        return "rest";
      case 2:
        return small.length > 0 ? { field: random.pick(small).name } : random.integer(1, 4);
      default:
        return { prefix: random.pick(["u8", "u16", "u32", "varint"]) };
    }
  }

  array(scope: ScopeField[], small: ScopeField[], depth: number): Json {
    const random = this.random;
    const of = random.chance(0.5) ? { type: random.pick(["u8", "u16", "bool", "i8"]) } : this.node(scope, depth + 1);
    const field: Json = { type: "array", of };
    switch (random.integer(0, 3)) {
      case 0:
        field.count = random.integer(0, 4);
        break;
      case 1:
        field.count = "untilEnd";
        break;
      case 2:
        field.count = small.length > 0 ? { field: random.pick(small).name } : { prefix: "u8" };
        break;
      default:
        field.count = { prefix: random.pick(["u8", "u16", "u32", "varint"]) };
    }
    if (random.chance(0.5)) field.maxCount = random.integer(0, 64);
    return field;
  }

  /** A complete definition. */
  definition(): Json {
    const random = this.random;
    const header = random.chance(0.5) ? this.fields(random.integer(1, 3), [], 1) : [];
    const headerScope: ScopeField[] = header
      .filter((field) => field.when === undefined)
      .map((field) => ({ name: field.name as string, small: field.type === "u8", integer: field.type === "u8" || field.type === "u16" }));
    const messageCount = random.integer(1, 4);
    const messageNames = Array.from({ length: messageCount }, (_, index) => `m${index}`);
    const frameHeader: Json[] = [];
    const body: Json = {};
    if (random.chance(0.5)) body.repeat = random.pick(["once", "untilEnd"]);
    if (random.chance(0.2)) body.maxMessages = random.integer(1, 64);
    let selector: string | undefined;
    if (random.chance(0.6)) {
      selector = this.name();
      frameHeader.push({ name: selector, type: "u8" });
    }
    if (random.chance(0.3)) {
      const lengthName = this.name();
      frameHeader.push({ name: lengthName, type: random.pick(["u8", "u16"]) });
      body.length = { field: lengthName, ...(random.chance(0.3) ? { includesHeader: true } : {}) };
    }
    if (frameHeader.length > 0) body.frameHeader = frameHeader;
    const keyField = selector ?? headerScope.find((field) => field.small)?.name;
    if (keyField !== undefined && random.chance(0.2)) {
      body.transforms = [{ kind: "xor", keyField, keys: { "1": "ff", "2": "a5c3", "300": "0f" } }];
    }
    if (selector !== undefined && messageCount > 1) {
      const cases: Json[] = messageNames.slice(0, -1).map((message, index) => ({ value: index, message }));
      // Every message is reached one way only, so re-encoding picks the selector values it was decoded with.
      if (random.chance(0.3)) {
        // A nested select with a prefix byte.
        const prefix = this.name();
        messageNames.push("nested");
        cases.push({ value: messageCount - 1, select: { prefix: [{ name: prefix, type: "u8" }], on: prefix, cases: [{ value: 7, message: messageNames[messageCount - 1] }], default: { message: "nested" } } });
      } else cases.push({ value: messageCount - 1, message: messageNames[messageCount - 1] });
      if (random.chance(0.5)) messageNames.push("fallback");
      body.select = { on: selector, cases, ...(messageNames.includes("fallback") ? { default: { message: "fallback" } } : {}) };
    } else body.select = { message: messageNames[0] };
    const frameScope: ScopeField[] = [...headerScope, ...frameHeader.map((field) => ({ name: field.name as string, small: field.type === "u8", integer: true }))];
    const messages = messageNames.map((name) => ({ name, fields: this.fields(random.integer(0, 6), frameScope, 2) }));
    const definition: Json = { name: "fuzz", body, messages };
    if (header.length > 0) definition.header = header;
    if (random.chance(0.3)) definition.byteOrder = random.pick(["big", "little"]);
    if (Object.keys(this.types).length > 0) definition.types = this.types;
    if (header.length > 0 && body.transforms === undefined && headerScope.some((field) => field.small) && random.chance(0.15)) {
      definition.transforms = [{ kind: "xor", keyField: headerScope.find((field) => field.small)!.name, keys: { "0": "5a", "3": "0102" } }];
    }
    return definition;
  }
}

/** A well-formed random definition (it may still fail validation, e.g. an untilEnd over maybe-empty elements). */
export function generateDefinition(seed: number): Record<string, unknown> {
  return new DefinitionBuilder(new FuzzRandom(seed)).definition();
}

const HOSTILE_NAMES = ["", "__proto__", "constructor", "prototype", "toString", "a-b", "1x", "x".repeat(65), "é", "a\nb", "${1}", "\u001b[2J", "hasOwnProperty"];
const HOSTILE_NUMBERS = [-1, 0, 1, 7, 8, 65, 2 ** 16, 2 ** 32 - 1, 2 ** 53, 1e8, 1e308, 1.5, -0];

/** Applies one hostile change somewhere in a JSON tree. */
function mutate(value: unknown, random: FuzzRandom, builder: DefinitionBuilder): unknown {
  const objects: Json[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    if (!Array.isArray(node)) objects.push(node as Json);
    for (const child of Object.values(node)) walk(child);
  };
  walk(value);
  if (objects.length === 0) return value;
  const fields = objects.filter((object) => typeof object.type === "string" && object.kind === undefined);
  const emptyElement = () => random.pick<unknown>([{ type: "struct", fields: [] }, { type: "bytes", length: 0 }, { type: "string", length: 0 }, { type: "array", count: 0, of: { type: "u8" } }]);
  // `hostileFlag` is a header field (visible everywhere) that random datagrams often set to 0: "maybe empty" elements.
  const maybeEmpty = () => ({ type: "struct", fields: [{ name: builder.name(), type: "u8", when: { field: "hostileFlag", equals: 1 } }] });
  // Half the changes keep the definition valid but dangerous (huge counts of maybe-empty elements, long lengths, deep nesting).
  const dangerous = [4, 4, 4, 5, 6, 7, 12];
  const change = random.chance(0.6) && fields.length > 0 ? random.pick(dangerous) : random.integer(0, 14);
  // Field-shaped changes go to fields (else the schema rejects them at once); the rest anywhere.
  const target = dangerous.includes(change) && fields.length > 0 ? random.pick(fields) : random.pick(objects);
  const keys = Object.keys(target);
  const key = keys.length > 0 && random.chance(0.7) ? random.pick(keys) : random.pick(["name", "type", "count", "length", "maxCount", "bits", "of", "fields", "when", "repeat", "keys", "ref"]);
  switch (change) {
    case 0:
      target[key] = random.pick(HOSTILE_NAMES);
      break;
    case 1:
      target[key] = random.pick(HOSTILE_NUMBERS);
      break;
    case 2:
      target[key] = random.pick<unknown>([null, true, [], {}, "untilEnd", "rest", { field: "nope" }, { prefix: "u64" }]);
      break;
    case 3:
      delete target[key];
      break;
    case 4:
      // Nested counts of empty or maybe-empty elements.
      target.type = "array";
      target.count = random.pick<unknown>([65_536, "untilEnd", { prefix: "u32" }, { prefix: "varint" }, 2 ** 32 - 1]);
      target.maxCount = random.pick([65_536, 1e8, 2 ** 31]);
      target.of = random.chance(0.5)
        ? { type: "array", count: random.pick<unknown>([65_535, { prefix: "u16" }]), maxCount: 65_536, of: random.chance(0.5) ? emptyElement() : maybeEmpty() }
        : emptyElement();
      break;
    case 5:
      target.type = random.pick(["bytes", "string"]);
      target.length = random.pick<unknown>([0, 2 ** 31, "rest", { prefix: "u32" }]);
      break;
    case 6:
      target.type = "struct";
      target.fields = [{ name: builder.name(), type: "u8", when: { field: random.chance(0.8) ? "hostileFlag" : "nope", equals: 1 } }];
      break;
    case 7: {
      // Deep nesting.
      let node: Json = { type: "u8" };
      for (let depth = 0; depth < random.integer(20, 45); depth++) node = { type: "struct", fields: [{ name: builder.name(), ...node }] };
      Object.assign(target, node);
      break;
    }
    case 8:
      target.keys = random.pick<unknown>([{ "": "ff" }, { abc: "ff" }, { "01": "ff" }, { "1": "f" }, { "99999999999999999999": "ff" }, { "-0": "00" }, null]);
      break;
    case 9:
      target.repeat = "untilEnd";
      target.maxMessages = random.pick([1, 65_536, 0, 1e9]);
      break;
    case 10:
      target.type = "ref";
      target.ref = random.pick(["self", "__proto__", "missing", "toString"]);
      builder.types.self = { type: "struct", fields: [{ name: "x", type: "ref", ref: "self" }] };
      break;
    case 11:
      target.type = "switch";
      target.on = random.pick(["nope", "f1", "f2"]);
      target.cases = random.pick<unknown>([[], [{ value: 1, fields: [] }], [{ value: [1, "x", 1e308], fields: [{ name: "x", type: "u8" }] }]]);
      break;
    case 12:
      target.type = random.pick(["uint", "int", "quantized", "bool"]);
      target.bits = random.pick(HOSTILE_NUMBERS);
      target.min = random.pick(HOSTILE_NUMBERS);
      target.max = random.pick(HOSTILE_NUMBERS);
      break;
    case 13:
      target.type = "plugin";
      target.plugin = random.pick(["missing", "__proto__", "constructor"]);
      break;
    default:
      target[random.pick(HOSTILE_NAMES) || "extra"] = random.pick<unknown>([1, "x", null]);
  }
  return value;
}

/** A definition with one to three hostile changes (often invalid, sometimes valid and dangerous). */
export function generateHostileDefinition(seed: number): unknown {
  const random = new FuzzRandom(seed);
  const builder = new DefinitionBuilder(random);
  const base = builder.definition();
  base.header = [{ name: "hostileFlag", type: "u8" }, ...((base.header as unknown[] | undefined) ?? [])];
  let definition: unknown = base;
  const changes = random.integer(1, 3);
  for (let index = 0; index < changes; index++) definition = mutate(definition, random, builder);
  if (random.chance(0.02)) return random.pick<unknown>([null, [], "x", 1, { name: "t" }]);
  return definition;
}
