import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { FieldDefinitionLike, ProtocolDefinitionLike } from "@tickscope/bandwidth";
import { escapeTerminalText } from "./terminal-text.js";

/** The names `--tolerance` accepts for one protocol definition. */
export interface ToleranceNames {
  /** Role name (`position.x`, and its prefix `position`) → the field paths that carry it (leaves and the field itself). */
  roles: Map<string, Set<string>>;
  /** Every field path (`entities[].x`, `entities[].rot`, `entities`), as the bandwidth analysis names leaves. */
  paths: Set<string>;
  /** Every field name (a path segment: `x`, `rot`), which applies to each path that contains it. */
  fieldNames: Set<string>;
}

const MAX_DEPTH = 32;

function structFields(field: FieldDefinitionLike, types: Record<string, FieldDefinitionLike>, depth: number): readonly FieldDefinitionLike[] | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (field.type === "struct") return field.fields ?? [];
  if (field.type === "ref" && field.ref !== undefined && types[field.ref] !== undefined) return structFields(types[field.ref]!, types, depth + 1);
  return undefined;
}

function elementOf(field: FieldDefinitionLike, types: Record<string, FieldDefinitionLike>, depth: number): FieldDefinitionLike | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (field.type === "array") return field.of;
  if (field.type === "ref" && field.ref !== undefined && types[field.ref] !== undefined) return elementOf(types[field.ref]!, types, depth + 1);
  return undefined;
}

/**
 * Walks one field as the bandwidth re-encoder names leaves (`a.b`, an array
 * element `a[]`), calling `visit` with each path, the roles in force there
 * (its own and its ancestors') and the field's name.
 */
function walkField(
  field: FieldDefinitionLike,
  path: string,
  roles: readonly string[],
  types: Record<string, FieldDefinitionLike>,
  depth: number,
  visit: (path: string, roles: readonly string[]) => void,
): void {
  if (depth > MAX_DEPTH) return;
  const inForce = field.role === undefined ? roles : [...roles, field.role];
  // a ref's target may carry the role (e.g. a quaternion type with role rotation)
  const target = field.type === "ref" && field.ref !== undefined ? types[field.ref] : undefined;
  const withTarget = target?.role !== undefined && !inForce.includes(target.role) ? [...inForce, target.role] : inForce;
  visit(path, withTarget);
  const fields = structFields(field, types, depth);
  if (fields !== undefined) {
    for (const child of fields) if (child.name !== undefined) walkField(child, `${path}.${child.name}`, withTarget, types, depth + 1, visit);
    return;
  }
  const element = elementOf(field, types, depth);
  if (element !== undefined) walkField(element, `${path}[]`, withTarget, types, depth + 1, visit);
}

/** Collects the roles, field paths and field names of a protocol definition (frame header and every message). */
export function toleranceNames(definition: ProtocolDefinitionLike): ToleranceNames {
  const names: ToleranceNames = { roles: new Map(), paths: new Set(), fieldNames: new Set() };
  const types = definition.types ?? {};
  const topLevel = [...(definition.body?.frameHeader ?? []), ...definition.messages.flatMap((message) => message.fields ?? [])];
  for (const field of topLevel) {
    if (field.name === undefined) continue;
    walkField(field, field.name, [], types, 0, (path, roles) => {
      names.paths.add(path);
      const segments = path.replace(/\[\]/g, "").split(".");
      names.fieldNames.add(segments[segments.length - 1]!);
      for (const role of roles) {
        // `position.x` also answers to `position`
        const parts = role.split(".");
        for (let length = 1; length <= parts.length; length++) {
          const name = parts.slice(0, length).join(".");
          const paths = names.roles.get(name) ?? new Set<string>();
          paths.add(path);
          names.roles.set(name, paths);
        }
      }
    });
  }
  return names;
}

function invalidTolerance(message: string, hint: string): TickscopeError {
  return new TickscopeError(ErrorCode.invalidOption, message, { hint });
}

/**
 * Resolves `--tolerance` names (and the config file's `bandwidth.tolerances`)
 * against the protocol definition into the names the bandwidth analysis
 * matches: a role (`position` or `position.x`) becomes every field path that
 * carries it; a field path (`entities[].x`) or field name (`x`) is kept (an
 * explicit path beats a role, a role beats a bare field name). Throws
 * `E_INVALID_OPTION` listing the valid names for an unknown name, and when
 * there is no definition (without one nothing is re-encoded, so a tolerance
 * would be silently ignored).
 */
export function resolveToleranceNames(tolerances: ReadonlyMap<string, number>, definition: ProtocolDefinitionLike | undefined): Map<string, number> {
  if (tolerances.size === 0) return new Map();
  if (definition === undefined) {
    throw invalidTolerance(
      `--tolerance ${escapeTerminalText([...tolerances.keys()].join(","))}: tolerances need a protocol definition (without one nothing is re-encoded)`,
      "add --protocol <definition.json>",
    );
  }
  const names = toleranceNames(definition);
  const fromRoles = new Map<string, number>();
  const kept = new Map<string, number>();
  for (const [name, value] of tolerances) {
    if (names.paths.has(name) || names.fieldNames.has(name)) kept.set(name, value);
    else if (names.roles.has(name)) for (const path of names.roles.get(name)!) fromRoles.set(path, value);
    else {
      const roles = [...names.roles.keys()].sort();
      const paths = [...names.paths].sort();
      throw invalidTolerance(
        `--tolerance: ${escapeTerminalText(`'${name}'`)} is neither a role nor a field of protocol ${escapeTerminalText(definition.name ?? "(unnamed)")}`,
        `roles: ${roles.join(", ") || "(none)"}; field paths: ${paths.join(", ")}`,
      );
    }
  }
  // a path the user names exactly wins over the same path reached through a role
  return new Map([...fromRoles, ...kept]);
}
