import type { EntityRoles, Vector3 } from "../roles.js";

/**
 * Constructors of the pooled entity roles a roles-only decoder rewrites in
 * place (`entityRoles: "reused"` of compileProtocol).
 *
 * An object literal `{ x, y, z }` shares its shape with every other such
 * literal, whose number fields are kept tagged on purpose (see
 * tagged-fields.ts): storing a fractional number into a tagged field boxes it,
 * so rewriting a pooled vector would allocate one number box per axis and
 * message. A constructor has a shape of its own, whose number fields stay
 * "double" fields: a store rewrites the object's own box, allocation-free.
 * Each prototype is `Object.prototype`, so the objects are plain objects to
 * every reader (same keys, order, values, prototype and constructor).
 */

interface PooledVectorConstructor {
  new (x: number, y: number, z: number): Vector3;
}

interface PooledEntityConstructor {
  new (entityId: number, position: Vector3 | undefined, velocity: Vector3 | undefined, rotation: number | readonly number[] | undefined): EntityRoles;
}

const PooledVector = function (this: Vector3, x: number, y: number, z: number): void {
  this.x = x;
  this.y = y;
  this.z = z;
} as unknown as PooledVectorConstructor;
PooledVector.prototype = Object.prototype;

const PooledEntity = function (
  this: EntityRoles,
  entityId: number,
  position: Vector3 | undefined,
  velocity: Vector3 | undefined,
  rotation: number | readonly number[] | undefined,
): void {
  this.entityId = entityId;
  this.position = position;
  this.velocity = velocity;
  this.rotation = rotation;
} as unknown as PooledEntityConstructor;
PooledEntity.prototype = Object.prototype;

/** A new pooled vector (a plain `{ x, y, z }` object with a shape of its own). */
export function pooledVector(x: number, y: number, z: number): Vector3 {
  return new PooledVector(x, y, z);
}

/** A new pooled entity (a plain `{ entityId, position, velocity, rotation }` object with a shape of its own). */
export function pooledEntity(entityId: number, position: Vector3 | undefined, velocity: Vector3 | undefined, rotation: number | readonly number[] | undefined): EntityRoles {
  return new PooledEntity(entityId, position, velocity, rotation);
}
