/**
 * Object shapes whose number-valued properties hold shared number boxes.
 *
 * V8 stores a fractional number in an object property either in a box owned by
 * that one object (a "double" field: a fresh box per object, and a copy when
 * the value is stored into another such object) or as a pointer to an
 * immutable box (a "tagged" field). Decoded records, entity roles and their
 * position/velocity vectors pass the same values along: the decoder boxes
 * `x`, the role builder copies it into `position.x`, an analysis's copy of the
 * position copies it again. With tagged fields on both sides each copy is a
 * pointer copy — one box per decoded value instead of three or four, and
 * fewer objects for the garbage collector (~7 per snapshot entity).
 *
 * A field becomes tagged for good once any object of its shape holds a value
 * that is not a number; object literals with the same property names in the
 * same order share one shape. So building one such literal with `null` values,
 * before the hot code runs, is all it takes. Values, property order and
 * semantics are unchanged: only the engine's storage of the numbers differs.
 */

/** Property-name lists already prepared (by their joined names). */
const prepared = new Set<string>();

/**
 * Makes the object-literal shape with exactly these property names (in this
 * order) keep its numbers as shared boxes (see the module comment). Idempotent
 * and cheap after the first call per name list; names are emitted with
 * `JSON.stringify`, so any string is safe.
 */
export function preferTaggedFields(names: readonly string[]): void {
  if (names.length === 0) return;
  const key = JSON.stringify(names);
  if (prepared.has(key)) return;
  prepared.add(key);
  const literal = `{${names.map((name) => `${JSON.stringify(name)}: null`).join(", ")}}`;
  // A literal (not property-by-property assignment): literals of the same names share its shape.
  const make = new Function(`"use strict"; return ${literal};`) as () => object;
  make();
}
