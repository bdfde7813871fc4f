import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileProtocol } from "../protocol/compile-protocol.js";
import type { ProtocolDefinition } from "../protocol/definition-schema.js";
import { summarizeProtocol } from "../protocol/summarize.js";
import { acknowledgedChannel } from "./acknowledged-channel.js";

const definition: ProtocolDefinition = {
  name: "acks",
  body: {
    repeat: "untilEnd",
    frameHeader: [{ name: "kind", type: "u8" }],
    select: {
      on: "kind",
      cases: [
        { value: 0, message: "controlAck" },
        { value: 1, message: "fieldAck" },
        { value: 2, message: "data" },
      ],
    },
  },
  messages: [
    {
      name: "controlAck",
      channel: 0,
      ackChannel: 1,
      fields: [
        { name: "ack", type: "u16", role: "ack" },
        { name: "delayMs", type: "u8", role: "ackDelay", unit: "ms" },
      ],
    },
    {
      name: "fieldAck",
      channel: 0,
      ackChannel: 9,
      fields: [
        { name: "acked", type: "u8", role: "ackChannel" },
        { name: "ack", type: "u16", role: "ack" },
        { name: "delayUs", type: "u16", role: "ackDelay" },
      ],
    },
    { name: "data", channel: 1, fields: [{ name: "sequence", type: "u16", role: "sequence" }] },
  ],
};

describe("ackChannel and ackDelay roles (definition language)", () => {
  for (const mode of ["compiled", "interpreted"] as const) {
    it(`decodes which channel an ack acknowledges and the ack delay (${mode})`, () => {
      const protocol = compileProtocol(definition, { mode });
      const decoded = protocol.decodeDatagramFields(Uint8Array.from([0, 0, 7, 25, 1, 2, 0, 9, 1, 244, 2, 0, 3]));
      expect(decoded.anomalies).toEqual([]);
      const [control, field, data] = decoded.messages;
      expect(control!.roles).toMatchObject({ channel: 0, ackChannel: 1, ack: 7, ackDelayUs: 25_000 });
      // A field with the ackChannel role wins over the message's property.
      expect(field!.roles).toMatchObject({ channel: 0, ackChannel: 2, ack: 9, ackDelayUs: 500 });
      expect(data!.roles.ackChannel).toBeUndefined();
      expect(acknowledgedChannel(control!.roles)).toBe(1);
      expect(acknowledgedChannel(data!.roles)).toBe(1);
    });
  }

  it("lists the roles, and Firefall's acks name the channel they acknowledge", () => {
    const summary = summarizeProtocol(definition);
    expect(summary.messages[0]!.roles.map((role) => role.role)).toEqual(["ack", "ackDelay"]);
    const firefall = JSON.parse(readFileSync(fileURLToPath(new URL("../../../../examples/protocols/firefall.json", import.meta.url)), "utf8")) as ProtocolDefinition;
    const acks = Object.fromEntries(firefall.messages.filter((message) => message.name.endsWith("Ack")).map((message) => [message.name, message.ackChannel]));
    expect(acks).toEqual({ matrixAck: 1, gssAck: 2 });
    // Socket id 1, one control packet (channel 0, length 7): gssAck, next 0x0102, acked 0x0304.
    const protocol = compileProtocol(firefall);
    const decoded = protocol.decodeDatagramFields(Uint8Array.from([0, 0, 0, 1, 0x00, 0x07, 3, 1, 2, 3, 4]));
    expect(decoded.messages[0]!.type).toBe("gssAck");
    expect(decoded.messages[0]!.roles).toMatchObject({ channel: 0, ackChannel: 2, ack: 0x0304 });
  });
});
