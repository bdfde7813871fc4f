import { describe, expect, it } from "vitest";
import { compileProtocol } from "./protocol/index.js";
import { createBlankMessageRoles, blankMessageRolesLiteral, MESSAGE_ROLE_PROPERTIES } from "./roles.js";
import { decodeAll, loadExample } from "./test-support/protocols.js";

describe("one roles shape for every message of a protocol", () => {
  it("lists every property once, and the blank roles and literal hold exactly them, all undefined", () => {
    expect(new Set(MESSAGE_ROLE_PROPERTIES).size).toBe(MESSAGE_ROLE_PROPERTIES.length);
    const blank = createBlankMessageRoles();
    expect(Object.keys(blank)).toEqual([...MESSAGE_ROLE_PROPERTIES]);
    expect(Object.values(blank).every((value) => value === undefined)).toBe(true);
    const fromLiteral = new Function(`return ${blankMessageRolesLiteral()};`)() as Record<string, unknown>;
    expect(Object.keys(fromLiteral)).toEqual([...MESSAGE_ROLE_PROPERTIES]);
    expect(JSON.stringify(blank)).toBe("{}");
  });

  for (const mode of ["compiled", "interpreted"] as const) {
    it(`${mode}: messages of different types share one key order, and unset roles stay out of JSON`, () => {
      const protocol = compileProtocol(loadExample("arena"), { mode });
      const header = { protocolId: 0x41524d41, sequence: 7, ack: 3, ackBits: 1, sendTimeUs: 1_000_000 };
      const ping = protocol.encodeDatagram([{ type: "ping", fields: { pingId: 42 } }], { header });
      const snapshot = protocol.encodeDatagram(
        [{ type: "snapshot", fields: { tick: 9, lastProcessedInputSequence: 1, entities: [{ entityId: 1, x: 0, y: 0, z: 0, yaw: 0, velocityX: 0, velocityY: 0, velocityZ: 0, health: 100 }] } }],
        { header },
      );
      const pingRoles = decodeAll(protocol, ping).messages[0]!.roles;
      const snapshotRoles = decodeAll(protocol, snapshot).messages[0]!.roles;
      // One shape for the protocol: the roles any of its messages can have, in MESSAGE_ROLE_PROPERTIES order.
      const keys = Object.keys(pingRoles);
      expect(Object.keys(snapshotRoles)).toEqual(keys);
      expect(keys).toEqual(MESSAGE_ROLE_PROPERTIES.filter((property) => keys.includes(property)));
      for (const property of ["sequence", "ack", "sendTimeUs", "tick", "echoKey", "entities", "inputSequence", "targetTimeUs", "reliable", "authenticated"]) expect(keys).toContain(property);
      // Roles arena never has take no slot.
      for (const property of ["aimYawRad", "elements", "channel", "ackDelayUs", "sessionId"]) expect(keys).not.toContain(property);
      expect(pingRoles.echoKey).toBe("42");
      expect(pingRoles.tick).toBeUndefined();
      expect(snapshotRoles.tick).toBe(9);
      expect(snapshotRoles.echoKey).toBeUndefined();
      expect(snapshotRoles.entities).toHaveLength(1);
      expect(Object.keys(snapshotRoles.entities![0]!)).toEqual(["entityId", "position", "velocity", "rotation"]);
      expect(snapshotRoles.entities![0]!.entityId).toBe(1);
      const json = JSON.parse(JSON.stringify(pingRoles)) as Record<string, unknown>;
      expect(Object.keys(json).sort()).toEqual(["ack", "ackBits", "ackBitsWidth", "echoId", "echoKey", "echoPhase", "reliable", "sendTimeModulusUs", "sendTimeUs", "sequence", "sequenceBits"]);
    });
  }
});
