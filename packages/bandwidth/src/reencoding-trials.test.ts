import { describe, expect, it } from "vitest";
import type { FieldRecord, SerialNumber } from "@tickscope/core";
import { LayoutReencoder, type MessageLayout } from "./layout-reencoder.js";
import { CompanionTrial, TrialBaselines, TrialSizes, acknowledgedDirections, collectAcknowledged, runTrial } from "./reencoding-trials.js";
import { serialAdd } from "@tickscope/core";
import type { EncodingVariant } from "./reencoder.js";
import type { RetainedMessage } from "./trace.js";

const layouts: MessageLayout[] = [
  { type: "snap", typeId: 1, typeIdBits: 8, fields: [{ name: "sequence", type: { kind: "uint", bits: 16 } }, { name: "value", type: { kind: "uint", bits: 16 } }] },
  { type: "ack", typeId: 2, typeIdBits: 8, fields: [{ name: "ack", type: { kind: "uint", bits: 16 } }] },
  {
    type: "world",
    typeId: 3,
    typeIdBits: 8,
    fields: [
      {
        name: "entities",
        type: {
          kind: "array",
          countBits: 8,
          keyField: "id",
          element: { kind: "struct", fields: [{ name: "id", type: { kind: "uint", bits: 8 } }, { name: "x", type: { kind: "float32" } }] },
        },
      },
    ],
  },
];
const reencoder = new LayoutReencoder(layouts);

let packetIndex = 0;
function retained(type: string, direction: RetainedMessage["direction"], tUs: number, fields: FieldRecord, roles: RetainedMessage["roles"] = {}, byteLength = 5): RetainedMessage {
  return { sessionId: "s", direction, tUs, packetIndex: packetIndex++, type, byteLength, fields, roles };
}

function snap(tUs: number, sequence: number, value: number): RetainedMessage {
  return retained("snap", "serverToClient", tUs, { sequence, value }, { sequence });
}

function ack(tUs: number, value: number, ackBits?: number): RetainedMessage {
  return retained("ack", "clientToServer", tUs, { ack: value }, ackBits === undefined ? { ack: value } : { ack: value, ackBits, ackBitsWidth: 8 }, 3);
}

const delta: EncodingVariant = { delta: { baselineReferenceBits: 16 } };

describe("runTrial", () => {
  it("delta-encodes against the newest acknowledged message and decodes back exactly", () => {
    const trace = [snap(0, 0, 10), snap(1, 1, 11), ack(2, 0), snap(3, 2, 11), ack(4, 2, 0b1), snap(5, 3, 11)];
    const baselines: (SerialNumber | undefined)[] = [];
    const decoded = new Map<RetainedMessage, FieldRecord>();
    let sum = 0;
    const result = runTrial(trace, reencoder, { variant: delta }, (message, sent, bytes, baseline) => {
      sum += bytes.length;
      if (message.type === "snap") baselines.push(baseline?.message.roles.sequence);
      const receiverBaseline = baseline === undefined ? undefined : decoded.get(baseline.message);
      const back = reencoder.decode(message.type, bytes, delta, receiverBaseline);
      expect(back).toEqual(sent);
      decoded.set(message, back);
    });
    expect(baselines).toEqual([undefined, undefined, 0, 2]);
    expect(result.bytes).toBe(sum);
    expect(result).toMatchObject({ ackedBaselines: 2, noBaseline: 3, lastSentBaselines: 1, reencodedMessages: 6, passthroughMessages: 0 });
    expect(result.lastSentByDirection).toEqual({ clientToServer: 1, serverToClient: 0 });
    // snaps without baseline: 8 + 1 + 32 = 41 bits → 6 bytes; seq 2 against seq 0: 8 + 1 + 16 + 1 + (1 + 16) + (1 + 16) = 60 → 8;
    // seq 3 against seq 2 (value unchanged): 8 + 1 + 16 + 1 + (1 + 16) + 1 = 44 → 6; acks: 8 + 1 + 16 = 25 → 4, then 43 → 6
    expect(result.bytes).toBe(6 + 6 + 4 + 8 + 6 + 6);
    expect(result.bytesBefore).toBe(4 * 5 + 2 * 3);
    expect(result.streams).toEqual([
      { session: "s", direction: "clientToServer", bytes: 10, packets: 2 },
      { session: "s", direction: "serverToClient", bytes: 26, packets: 4 },
    ]);
    expect([...acknowledgedDirections(trace)]).toEqual(["s\u0000serverToClient"]);
  });

  it("falls back to the last sent message when the peer sends no acks, and bounds the history", () => {
    const trace = [snap(0, 0, 1), snap(1, 1, 1), snap(2, 2, 1)];
    const baselines: (SerialNumber | undefined)[] = [];
    const result = runTrial(trace, reencoder, { variant: delta, historySize: 1 }, (message, _sent, _bytes, baseline) => {
      baselines.push(baseline?.message.roles.sequence);
    });
    expect(baselines).toEqual([undefined, 0, 1]);
    expect(result).toMatchObject({ lastSentBaselines: 2, ackedBaselines: 0, noBaseline: 1 });
  });

  it("keeps unknown types at their captured size and counts encode failures", () => {
    const trace = [retained("mystery", "serverToClient", 0, {}, {}, 77), retained("snap", "serverToClient", 1, { sequence: 1, value: "x" }, {}, 9)];
    const result = runTrial(trace, reencoder, { variant: {} });
    expect(result).toMatchObject({ bytes: 86, passthroughMessages: 1, encodeFailures: 1 });
    expect(runTrial(trace, undefined, { variant: {} }).bytes).toBe(86);
  });

  it("counts re-encoded messages whose size differs from the captured one (not failures, not warm-up)", () => {
    // snap re-encodes to 5 bytes: captured as 5 (match), 6 (mismatch), 4 in warm-up (not counted).
    const warm = { ...retained("snap", "serverToClient", 2, { sequence: 3, value: 3 }, {}, 4), warmup: true };
    const trace = [retained("snap", "serverToClient", 0, { sequence: 1, value: 1 }, {}, 5), retained("snap", "serverToClient", 1, { sequence: 2, value: 2 }, {}, 6), warm, retained("snap", "serverToClient", 3, { sequence: 4, value: "x" }, {}, 9)];
    const result = runTrial(trace, reencoder, { variant: {} });
    expect(result).toMatchObject({ reencodedMessages: 2, sizeMismatches: 1, encodeFailures: 1 });
  });

  it("thins state types to one update in N", () => {
    const trace = [snap(0, 0, 1), snap(1, 1, 2), snap(2, 2, 3), snap(3, 3, 4), snap(4, 4, 5)];
    const result = runTrial(trace, reencoder, { variant: {}, updateEvery: new Map([["snap", 2]]) });
    expect(result).toMatchObject({ droppedMessages: 2, reencodedMessages: 3, bytes: 3 * 5 });
  });

  it("interest management removes entities beyond the radius of the receiving player", () => {
    const entities = [
      { id: 1, x: 5 },
      { id: 2, x: 50 },
      { id: 3, x: 100 },
    ];
    const world = retained("world", "serverToClient", 1, { entities }, {
      entities: [
        { entityId: 1, position: { x: 5, y: 0, z: 0 } },
        { entityId: 2, position: { x: 50, y: 0, z: 0 } },
        { entityId: 3, position: { x: 100, y: 0, z: 0 } },
      ],
    });
    const input = retained("mystery", "clientToServer", 0, {}, { playerId: 3 }, 4);
    const sent: FieldRecord[] = [];
    const result = runTrial([input, world], reencoder, { variant: {}, relevanceRadius: 10 }, (_message, fields) => sent.push(fields));
    // The viewer is the player's own entity (id 3 at x = 100): entities 1 and 2 are farther than 10.
    expect(result.entitiesDropped).toBe(2);
    expect(sent[0]!.entities).toEqual([{ id: 3, x: 100 }]);
    // 8 + 8 + 1 × 40 = 56 bits → 7 bytes (instead of 8 + 8 + 3 × 40 = 136 bits → 17 bytes)
    expect(result.bytes).toBe(4 + 7);
    const withPosition = retained("mystery", "clientToServer", 0, {}, { position: { x: 0, y: 0, z: 0 } }, 4);
    const near = runTrial([withPosition, world], reencoder, { variant: {}, relevanceRadius: 10 });
    expect(near.entitiesDropped).toBe(2);
    const noViewer = runTrial([world], reencoder, { variant: {}, relevanceRadius: 10 });
    expect(noViewer.entitiesDropped).toBe(0);
  });
});

describe("collectAcknowledged", () => {
  // The reference: every bit of the width tested by division, every sequence through serialAdd.
  function reference(ack: SerialNumber, ackBits: number | undefined, width: number | undefined, sequenceBits: number | undefined): SerialNumber[] {
    const result: SerialNumber[] = [ack];
    const bits = ackBits ?? 0;
    const effectiveWidth = width ?? (ackBits === undefined ? 0 : 32);
    for (let bit = 0; bit < effectiveWidth; bit++) if (Math.floor(bits / 2 ** bit) % 2 === 1) result.push(serialAdd(ack, -1 - bit, sequenceBits));
    return result;
  }

  it("equals serialAdd over every set bit, at and around the wrap, for narrow, wide and missing widths", () => {
    const into: SerialNumber[] = [];
    const cases: [SerialNumber, number | undefined, number | undefined, number | undefined][] = [
      [0, 0xffffffff, 32, 16],
      [5, 0b1011, 8, 16],
      [65535, 0x80000001, undefined, 16],
      [3, 0xff, 8, 4],
      [1, 0xffffffff, 32, 32],
      [2 ** 32 - 1, 0x12345678, 32, 32],
      [7, 0x3, 2, undefined],
      [2 ** 40, 2 ** 40 + 5, 48, 64],
      [10n, 0b101, 8, 64],
      [70000, 0b1, 8, 16],
      [12, -1, 8, 16],
      [12, undefined, undefined, 16],
    ];
    for (const [ack, ackBits, width, sequenceBits] of cases) {
      collectAcknowledged(ack, ackBits, width, sequenceBits, into);
      expect(into).toEqual(reference(ack, ackBits, width, sequenceBits));
    }
  });
});

describe("runTrial acknowledged baselines", () => {
  /**
   * The rule written out plainly: a snap's baseline is, among the newest `historySize`
   * sequences its stream sent (a sequence sent again counts as its newest send), the
   * message with the latest capture time that an ack seen so far acknowledged —
   * replaced only by a strictly later one, ties to the first in the ack's order.
   */
  function referenceBaselines(trace: readonly RetainedMessage[], historySize: number): (RetainedMessage | undefined)[] {
    const history: { sequence: SerialNumber; message: RetainedMessage }[] = [];
    let acked: RetainedMessage | undefined;
    const result: (RetainedMessage | undefined)[] = [];
    const acknowledged: SerialNumber[] = [];
    for (const message of trace) {
      if (message.type === "ack") {
        collectAcknowledged(message.roles.ack!, message.roles.ackBits, message.roles.ackBitsWidth, message.roles.sequenceBits, acknowledged);
        for (const sequence of acknowledged) {
          const entry = history.find((item) => item.sequence === sequence);
          if (entry !== undefined && (acked === undefined || entry.message.tUs > acked.tUs)) acked = entry.message;
        }
        continue;
      }
      result.push(acked);
      const sequence = message.roles.sequence!;
      const previous = history.findIndex((item) => item.sequence === sequence);
      if (previous >= 0) history.splice(previous, 1);
      history.push({ sequence, message });
      if (history.length > historySize) history.shift();
    }
    return result;
  }

  it("match the plain rule over random sends, resends, reordered times, losses and narrow histories", () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 60; round++) {
      const trace: RetainedMessage[] = [];
      let sequence = 0;
      let tUs = 0;
      const historySize = 1 + Math.floor(random() * 12);
      for (let step = 0; step < 150; step++) {
        // Equal and decreasing capture times happen (coarse clocks, merged captures).
        tUs += Math.floor(random() * 3) - (random() < 0.05 ? 2 : 0);
        if (random() < 0.6) {
          // Now and then a sequence is sent again.
          const sent = random() < 0.1 && sequence > 0 ? sequence - 1 - Math.floor(random() * Math.min(sequence, 4)) : sequence++;
          trace.push(snap(tUs, sent % 256, Math.floor(random() * 4)));
        } else {
          const acknowledgedUpTo = Math.max(0, sequence - 1 - Math.floor(random() * 6)) % 256;
          trace.push(ack(tUs, acknowledgedUpTo, Math.floor(random() * 256)));
        }
      }
      const baselines: (RetainedMessage | undefined)[] = [];
      runTrial(trace, reencoder, { variant: delta, historySize }, (message, _sent, _bytes, baseline) => {
        if (message.type === "snap") baselines.push(baseline?.message);
      });
      expect(baselines, `round ${round}`).toEqual(referenceBaselines(trace, historySize));

      // Another encoding over the same flow replays the recorded baselines: the same result as following the acks.
      const recorded = new TrialBaselines();
      const recording = runTrial(trace, reencoder, { variant: delta, historySize, recordBaselines: recorded });
      const quantized: EncodingVariant = { ...delta, quantize: new Map([["value", { min: 0, step: 2, bits: 2 }]]) };
      expect(recorded.appliesTo(trace, reencoder, { variant: quantized, historySize })).toBe(true);
      const replayedBaselines: (RetainedMessage | undefined)[] = [];
      const replayed = runTrial(trace, reencoder, { variant: quantized, historySize, baselines: recorded }, (message, _sent, _bytes, baseline) => {
        if (message.type === "snap") replayedBaselines.push(baseline?.message);
      });
      expect(replayedBaselines).toEqual(baselines);
      expect(replayed).toEqual(runTrial(trace, reencoder, { variant: quantized, historySize }));
      expect(recording).toEqual(runTrial(trace, reencoder, { variant: delta, historySize }));
      // Measured beside the delta trial in the same walk: the replayed trial's result.
      const companion = new CompanionTrial(quantized);
      expect(runTrial(trace, reencoder, { variant: delta, historySize, companion })).toEqual(recording);
      expect(companion.result).toEqual(replayed);
      // A different flow, history or trace follows the acks itself.
      expect(recorded.appliesTo(trace, reencoder, { variant: quantized, historySize: historySize + 1 })).toBe(false);
      expect(recorded.appliesTo(trace, reencoder, { variant: quantized, historySize, updateEvery: new Map([["snap", 2]]) })).toBe(false);
      expect(recorded.appliesTo(trace, reencoder, { variant: quantized, historySize, relevanceRadius: 5 })).toBe(false);
      expect(recorded.appliesTo(trace, reencoder, { variant: {}, historySize })).toBe(false);
      expect(recorded.appliesTo([...trace], reencoder, { variant: quantized, historySize })).toBe(false);
    }
  });

  it("measures a companion encoding as a trial replaying its baselines: failures, warm-up, unknown types, blocks and streams", () => {
    const trace: RetainedMessage[] = [];
    for (let index = 0; index < 80; index++) {
      const session = index % 3 === 0 ? "t" : "s";
      const sequence = index % 256;
      const message = retained("snap", "serverToClient", index * 100_000, { sequence, value: index % 29 === 0 ? 70_000 : (index * 37) % 1000 }, { sequence });
      message.sessionId = session;
      message.block = Math.floor(index / 10) + (index >= 40 ? 3 : 0);
      if (index % 17 === 5) message.warmup = true;
      trace.push(message);
      const acknowledgement = ack(index * 100_000 + 50, sequence, 0b101);
      acknowledgement.sessionId = session;
      acknowledgement.block = message.block;
      trace.push(acknowledgement);
      if (index % 7 === 0) {
        const unknown = retained("unknown", "serverToClient", index * 100_000 + 60, {}, {}, 9);
        unknown.sessionId = session;
        unknown.block = message.block;
        trace.push(unknown);
      }
    }
    // Values over 16 bits fail in the original layout only (the companion's quantization clamps them).
    const narrow: EncodingVariant = { ...delta, quantize: new Map([["value", { min: 0, step: 1, bits: 10 }]]) };
    const recorded = new TrialBaselines();
    const companion = new CompanionTrial(narrow);
    const main = runTrial(trace, reencoder, { variant: delta, recordBaselines: recorded, companion });
    expect(main).toEqual(runTrial(trace, reencoder, { variant: delta }));
    const replayed = runTrial(trace, reencoder, { variant: narrow, baselines: recorded });
    expect(companion.result).toEqual(replayed);
    expect(main.encodeFailures).toBeGreaterThan(0);
    expect(companion.result!.encodeFailures).toBe(0);
    expect(companion.result!.bytes).not.toBe(main.bytes);
    expect(companion.result!.bytesByBlock.size).toBeGreaterThan(4);
    expect(companion.result!.streams.length).toBe(4);
    // Not measured beside a trial without delta encoding, with thinning or with a listener: no result.
    for (const config of [{ variant: {} }, { variant: delta, updateEvery: new Map([["snap", 2]]) }]) {
      runTrial(trace, reencoder, { ...config, companion });
      expect(companion.result).toBeUndefined();
    }
    runTrial(trace, reencoder, { variant: delta, companion: new CompanionTrial(narrow) });
    const withListener = new CompanionTrial(narrow);
    runTrial(trace, reencoder, { variant: delta, companion: withListener }, () => {});
    expect(withListener.result).toBeUndefined();
    const withoutDelta = new CompanionTrial({ quantize: narrow.quantize });
    runTrial(trace, reencoder, { variant: delta, companion: withoutDelta });
    expect(withoutDelta.result).toBeUndefined();
  });

  it("records nothing from a trial whose flow differs (thinned) and does not replay an unfinished recording", () => {
    const trace = [snap(0, 0, 10), ack(1, 0), snap(2, 1, 11), snap(3, 2, 12), ack(4, 2, 0b1), snap(5, 3, 12)];
    const recorded = new TrialBaselines();
    runTrial(trace, reencoder, { variant: delta, updateEvery: new Map([["snap", 2]]), recordBaselines: recorded });
    expect(recorded.appliesTo(trace, reencoder, { variant: delta })).toBe(false);
    expect(runTrial(trace, reencoder, { variant: delta, baselines: recorded })).toEqual(runTrial(trace, reencoder, { variant: delta }));
  });
});

describe("TrialSizes", () => {
  /** World messages of varying entity counts (sizes differ message by message), a few that fail to encode, warm-up and unknown types. */
  function mixedTrace(): RetainedMessage[] {
    const trace: RetainedMessage[] = [];
    for (let index = 0; index < 60; index++) {
      const count = (index * 7) % 5;
      const entities = Array.from({ length: count }, (_, entity) => ({ id: entity, x: index + entity / 4 }));
      // an id over 8 bits fails to encode
      const message = retained("world", "serverToClient", index * 1000, { entities: index % 13 === 0 ? [{ id: 999, x: 1 }] : entities }, {}, 2 + 5 * count);
      message.streamKey = "s\u0000serverToClient\u0000world";
      if (index % 11 === 0) message.warmup = true;
      trace.push(message);
      if (index % 9 === 0) trace.push(retained("unknown", "serverToClient", index * 1000 + 1, {}, {}, 4));
    }
    return trace;
  }

  it("records the identity sizes while a quantized companion is measured in the same walk (without delta encoding)", () => {
    const trace = mixedTrace();
    const sizes = new TrialSizes();
    const quantize = new Map([["entities[].x", { min: 0, step: 0.5, bits: 8 }]]);
    const companion = new CompanionTrial({ quantize });
    const identity = runTrial(trace, reencoder, { variant: {}, recordSizes: sizes, companion });
    expect(identity).toEqual(runTrial(trace, reencoder, { variant: {} }));
    expect(companion.result).toEqual(runTrial(trace, reencoder, { variant: { quantize } }));
    expect(companion.result!.bytes).toBeLessThan(identity.bytes);
    const updateEvery = new Map([["world", 2]]);
    expect(runTrial(trace, reencoder, { variant: {}, updateEvery, sizes })).toEqual(runTrial(trace, reencoder, { variant: {}, updateEvery }));
    // Not beside a trial replaying recorded sizes, and not with one delta encoding and not the other.
    for (const config of [{ variant: {}, sizes }, { variant: delta }]) {
      runTrial(trace, reencoder, { ...config, companion });
      expect(companion.result).toBeUndefined();
    }
  });

  it("replays the recorded sizes into the same results as encoding again", () => {
    const trace = mixedTrace();
    const sizes = new TrialSizes();
    const identity = runTrial(trace, reencoder, { variant: {}, recordSizes: sizes });
    expect(identity).toEqual(runTrial(trace, reencoder, { variant: {} }));
    expect(identity.encodeFailures).toBeGreaterThan(0);
    for (const every of [1, 2, 3]) {
      const updateEvery = new Map([["world", every]]);
      const replayed = runTrial(trace, reencoder, { variant: {}, updateEvery, sizes });
      expect(replayed).toEqual(runTrial(trace, reencoder, { variant: {}, updateEvery }));
    }
    // no encoding happens while replaying: a re-encoder that cannot encode gives the same result
    const own = reencoder as unknown as { encodedLength: unknown };
    own.encodedLength = () => {
      throw new Error("encoded again");
    };
    try {
      expect(runTrial(trace, reencoder, { variant: {}, sizes })).toEqual(identity);
      expect(runTrial(trace, reencoder, { variant: {} }).encodeFailures).toBe(identity.reencodedMessages + identity.encodeFailures);
    } finally {
      delete own.encodedLength;
    }
  });

  it("applies only to the same messages, re-encoder and encoding, without delta encoding or interest management", () => {
    const trace = mixedTrace();
    const sizes = new TrialSizes();
    expect(sizes.appliesTo(trace, reencoder, { variant: {} })).toBe(false);
    runTrial(trace, reencoder, { variant: {}, recordSizes: sizes });
    expect(sizes.appliesTo(trace, reencoder, { variant: {} })).toBe(true);
    expect(sizes.appliesTo([...trace], reencoder, { variant: {} })).toBe(false);
    expect(sizes.appliesTo(trace, new LayoutReencoder(layouts), { variant: {} })).toBe(false);
    expect(sizes.appliesTo(trace, reencoder, { variant: delta })).toBe(false);
    expect(sizes.appliesTo(trace, reencoder, { variant: {}, relevanceRadius: 5 })).toBe(false);
    expect(sizes.appliesTo(trace, reencoder, { variant: { quantize: new Map() } })).toBe(false);
    expect(sizes.appliesTo(trace, reencoder, { variant: { smallestThree: new Map() } })).toBe(false);
    // a delta trial records nothing
    const deltaSizes = new TrialSizes();
    runTrial(trace, reencoder, { variant: delta, recordSizes: deltaSizes });
    expect(deltaSizes.appliesTo(trace, reencoder, { variant: {} })).toBe(false);
    // a quantized recording serves the same quantization only
    const quantize = new Map([["entities[].x", { min: 0, step: 0.5, bits: 8 }]]);
    const quantized = new TrialSizes();
    const recorded = runTrial(trace, reencoder, { variant: { quantize }, recordSizes: quantized });
    expect(quantized.appliesTo(trace, reencoder, { variant: { quantize } })).toBe(true);
    expect(runTrial(trace, reencoder, { variant: { quantize }, sizes: quantized })).toEqual(recorded);
    expect(recorded.bytes).not.toBe(runTrial(trace, reencoder, { variant: {} }).bytes);
  });
});

