import { fixedLayoutBits } from "./codegen.js";
import { containsPlugin, type FieldPlan, type MessagePlan, type NodePlan, type RoleFieldPlan } from "./plan.js";

/**
 * What a message's fields are decoded into. `all` (the default): every field
 * into `message.fields`. `roles`: only what the message's roles need — for
 * threads whose analyses read `message.roles` and never `message.fields`
 * (latency, loss, anticheat and regions do; bandwidth re-encodes the fields and
 * needs `all`).
 *
 * A roles-only decoder reads the same bits with the same checks (counts,
 * lengths, bounds, constraints, the work budget), so its roles, sizes, errors
 * and anomalies are those of the full decoder; only `message.fields` differs,
 * for the top-level arrays {@link RolesOnlyHints} names.
 */
export type DecodedFields = "all" | "roles";

/**
 * How a roles-only decoder handles a message's top-level counted arrays of
 * fixed-layout structs (the per-element bulk of a snapshot or an input
 * message). Every other field decodes as in the full decoder.
 */
export interface RolesOnlyHints {
  /**
   * Arrays no role reads an element of: the count is read and checked, the
   * elements' bits are skipped, and the field holds the element count (a
   * number) instead of the elements — what an `inputCount` role needs.
   */
  readonly skipped: ReadonlySet<string>;
  /**
   * Entity arrays: each element decodes straight into its entity roles
   * (`{ entityId, position, velocity, rotation }`, as the role builder makes
   * them) with no field record; the field holds that entity array. Value: the
   * element's entity role fields.
   */
  readonly entities: ReadonlyMap<string, readonly RoleFieldPlan[]>;
  /**
   * Whether the entity arrays' lists and entity objects are reused from message
   * to message (`entityRoles: "reused"` of compileProtocol): valid only during
   * the `onMessage` call, like byte views.
   */
  readonly reuseEntities?: boolean;
}

function arrayOfFixedLayoutStructs(node: NodePlan): node is Extract<NodePlan, { kind: "array" }> & { of: Extract<NodePlan, { kind: "struct" }> } {
  if (node.kind !== "array" || node.count.kind === "untilEnd" || node.of.kind !== "struct") return false;
  const bits = fixedLayoutBits(node.of);
  return bits > 0 && bits === node.minElementBits;
}

function samePath(path: readonly string[], name: string): boolean {
  return path.length === 1 && path[0] === name;
}

/**
 * The arrays of `message` a roles-only decoder may skip or decode straight into
 * entity roles, or undefined when none qualifies. Conservative: a message with a
 * plugin anywhere gets none (a plugin sees the decoder's scopes); an array
 * qualifies only as a top-level field, counted, of a fixed-layout struct (every
 * field a big-endian integer, quantized value or bool of 1–25 bits, no
 * condition — so the count check guarantees every element's bits and nothing
 * inside an element can fail to read).
 */
export function rolesOnlyHints(message: MessagePlan): RolesOnlyHints | undefined {
  const fields: readonly FieldPlan[] = message.fields;
  if (fields.some((field) => containsPlugin(field.node))) return undefined;
  const roles = message.roles;
  const skipped = new Set<string>();
  const entities = new Map<string, readonly RoleFieldPlan[]>();
  for (const field of fields) {
    const node = field.node;
    if (!arrayOfFixedLayoutStructs(node) || field.constraint !== undefined) continue;
    const name = field.name;
    const inEntities = roles.entityArrays.filter((spec) => samePath(spec.path, name));
    const inElements = roles.elementArrays.some((spec) => spec.path[0] === name);
    const inCounts = roles.inputCountArrays.some((path) => samePath(path, name));
    const inScalars = roles.scalars.some((scalar) => scalar.path[0] === name);
    if (inElements || inScalars) continue;
    if (inEntities.length === 0) {
      // A constraint reports a value out of range: its value must be read.
      if (node.of.fields.some((element) => element.constraint !== undefined)) continue;
      skipped.add(name);
      continue;
    }
    if (inEntities.length !== 1 || inCounts) continue;
    const entity = inEntities[0].entity;
    const names = new Set(node.of.fields.map((element) => element.name));
    // Validation gives entity roles numeric fields only; a bool would need the role builder's 1/0 conversion.
    if (entity.some((role) => role.path.length !== 1 || role.widthPath !== undefined || !names.has(role.path[0]) || role.field.node.kind === "bool")) continue;
    entities.set(name, entity);
  }
  return skipped.size === 0 && entities.size === 0 ? undefined : { skipped, entities };
}
