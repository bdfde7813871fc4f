import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProtocol } from "./compile-protocol.js";
import type { ProtocolDefinition } from "./definition-schema.js";
import { pooledEntity, pooledVector } from "./pooled-entity-roles.js";
import type { GameMessage } from "../game-message.js";

const arena = JSON.parse(readFileSync(new URL("../../../../examples/protocols/arena.json", import.meta.url), "utf8")) as ProtocolDefinition;
const context = { sessionId: "s", direction: "serverToClient" as const, tUs: 1, packetIndex: 0, packetWireLength: 100 };

function entity(entityId: number, x: number) {
  return { entityId, x, y: -x, z: 0.5, yaw: 1, velocityX: 2, velocityY: -3, velocityZ: 0, health: 50 };
}

describe("pooled entity roles", () => {
  it("are plain objects: Object.prototype, the role builder's keys in its order, JSON and strict equality of a literal", () => {
    const vector = pooledVector(1.5, -2, 3.25);
    expect(Object.getPrototypeOf(vector)).toBe(Object.prototype);
    expect(vector.constructor).toBe(Object);
    expect(Object.keys(vector)).toEqual(["x", "y", "z"]);
    expect(vector).toStrictEqual({ x: 1.5, y: -2, z: 3.25 });
    const roles = pooledEntity(7, vector, undefined, 0.5);
    expect(Object.getPrototypeOf(roles)).toBe(Object.prototype);
    expect(Object.keys(roles)).toEqual(["entityId", "position", "velocity", "rotation"]);
    expect(roles).toStrictEqual({ entityId: 7, position: { x: 1.5, y: -2, z: 3.25 }, velocity: undefined, rotation: 0.5 });
    expect(JSON.stringify(roles)).toBe(JSON.stringify({ entityId: 7, position: { x: 1.5, y: -2, z: 3.25 }, velocity: undefined, rotation: 0.5 }));
  });

  it("hold the fresh decoder's entity roles (strictly equal, plain objects) in every onMessage call, first fill and rewrites", () => {
    const full = compileProtocol(arena);
    const reused = compileProtocol(arena, { fields: "roles", entityRoles: "reused" });
    const snapshots = [
      [entity(1, 10.5), entity(2, -700.25), entity(3, 2047)],
      [entity(9, 3)],
      [entity(4, 1), entity(5, 2), entity(6, 3), entity(8, -2048)],
    ];
    let pool: unknown;
    snapshots.forEach((entities, index) => {
      const payload = full.encodeDatagram([{ type: "snapshot", fields: { tick: index, lastProcessedInputSequence: 0, entities } }], {
        header: { protocolId: 1095912769, sequence: index, ack: 0, ackBits: 0, sendTimeUs: 1000 },
      });
      const expected = full.decodeDatagramFields(payload).messages[0]!.roles.entities!;
      let seen = 0;
      reused.decodeDatagram(
        payload,
        context,
        (message: GameMessage) => {
          seen += 1;
          const got = message.roles.entities!;
          expect(got).toStrictEqual(expected);
          for (const item of got) {
            expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
            expect(Object.getPrototypeOf(item.position)).toBe(Object.prototype);
          }
          pool ??= got;
          expect(got).toBe(pool);
        },
        (anomaly) => expect.fail(anomaly.detail),
      );
      expect(seen).toBe(1);
    });
  });
});
