/**
 * JSON Schema (draft 2020-12 compatible, the same shape TypeBox emits) of the
 * {@link BandwidthReport} returned by `finish()`. Written as plain JSON Schema
 * because `@sinclair/typebox` is not a dependency of this package.
 */
const number = { type: "number" } as const;
const integer = { type: "integer", minimum: 0 } as const;
const string = { type: "string" } as const;
const direction = { type: "string", enum: ["clientToServer", "serverToClient"] } as const;

function object(properties: Record<string, unknown>, optional: readonly string[] = []): Record<string, unknown> {
  return {
    type: "object",
    properties,
    required: Object.keys(properties).filter((key) => !optional.includes(key)),
    additionalProperties: false,
  };
}

function array(items: unknown): Record<string, unknown> {
  return { type: "array", items };
}

const cost = object({ maxError: number, addedDelayMs: number, note: string }, ["note"]);

/** JSON Schema of the bandwidth report. */
export const BandwidthReportSchema: Record<string, unknown> = {
  $id: "https://tickscope.dev/schemas/bandwidth-report.json",
  ...object({
    analysis: { const: "bandwidth" },
    totals: object({
      packets: integer,
      messages: integer,
      wireBytes: integer,
      payloadBytes: integer,
      headerBytes: integer,
      durationMs: number,
      activeDurationMs: number,
      idleGaps: integer,
      bytesPerSecond: number,
      payloadBytesPerSecond: number,
      packetsPerSecond: number,
      headerShare: number,
      peakBytesPerSecond: number,
    }),
    bySession: array(
      object({
        session: string,
        direction,
        packets: integer,
        wireBytes: integer,
        payloadBytes: integer,
        bytesPerSecond: number,
        packetsPerSecond: number,
        peakBytesPerSecond: number,
        headerShare: number,
      }),
    ),
    byChannel: array(object({ channel: string, direction, messages: integer, bytes: integer, bytesPerSecond: number, share: number, resentMessages: integer })),
    byMessageType: array(object({ type: string, direction, messages: integer, bytes: integer, bytesPerSecond: number, share: number })),
    byField: array(
      object({ type: string, field: string, bitsPerValue: integer, values: integer, bits: integer, bitsPerSecond: number, share: number, changeRate: number }),
    ),
    packetSizes: object({
      p50PayloadBytes: integer,
      p95PayloadBytes: integer,
      p99PayloadBytes: integer,
      maxPayloadBytes: integer,
      meanPayloadBytes: number,
      histogram: array(object({ minBytes: integer, maxBytes: integer, packets: integer })),
      mtuBytes: integer,
      meanMtuShare: number,
      maxMtuShare: number,
      overMtuPackets: integer,
      fragmentedPackets: integer,
      fragmentedShare: number,
      extraFrames: integer,
    }),
    perMinute: array(object({ minute: integer, startUs: number, packets: integer, wireBytes: integer, bytesPerSecond: number, peakBytesPerSecond: number })),
    byMessageTypeTimeline: object({
      bucketMs: number,
      startUs: array(number),
      types: array(object({ type: string, direction, bytesPerSecond: array(number) })),
    }),
    recommendations: array(
      object({
        id: string,
        analysis: { const: "bandwidth" },
        kind: string,
        title: string,
        metric: string,
        bytesBefore: number,
        bytesAfter: number,
        savingsRatio: number,
        bytesPerSecondSaved: number,
        verified: { type: "boolean" },
        method: string,
        scope: string,
        cost,
        details: { type: "object", additionalProperties: { type: ["number", "string", "boolean"] } },
      }),
    ),
    plan: object(
      {
        steps: array(
          object({ kind: string, title: string, bytesAfter: number, savingsRatio: number, maxError: number, addedDelayMs: number, verified: { type: "boolean" } }),
        ),
        bytesBefore: number,
        bytesAfter: number,
        savingsRatio: number,
        megabitsPerSecondBefore: number,
        megabitsPerSecondAfter: number,
        savingsRatioLow: number,
        savingsRatioHigh: number,
        budget: object({
          budgetBitsPerSecond: number,
          met: { type: "boolean" },
          worstSessionBitsPerSecond: number,
          toleranceScale: number,
          updateEvery: integer,
          maxError: number,
          addedDelayMs: number,
          bytesAfter: number,
          savingsRatio: number,
        }),
      },
      ["budget", "savingsRatioLow", "savingsRatioHigh"],
    ),
    compression: object({
      sampledPackets: integer,
      sampledBytes: integer,
      populationPackets: integer,
      targetHalfWidth: number,
      trials: array(
        object({
          algorithm: string,
          mode: { type: "string", enum: ["perPacket", "perStream", "perPacketDictionary"] },
          bytesBefore: integer,
          bytesAfter: integer,
          savingsRatio: number,
          sampledPackets: integer,
          populationPackets: integer,
          savingsRatioLow: number,
          savingsRatioHigh: number,
        }, ["savingsRatioLow", "savingsRatioHigh"]),
      ),
      byMessageType: array(object({ type: string, packets: integer, bytesBefore: integer, deflateBytesAfter: integer, savingsRatio: number })),
    }),
    measuredWindow: object({
      messages: integer,
      messageShare: number,
      startUs: number,
      endUs: number,
      baselineMode: { type: "string", enum: ["lastAcknowledged", "lastSent", "mixed", "none"] },
      reencodeSizeMismatches: integer,
      sampledBlocks: integer,
      populationBlocks: integer,
    }),
    captureDuplicates: object({ packets: integer, wireBytes: integer, firstPacketIndex: { type: "integer", minimum: -1 } }),
    notes: array(string),
    anomalies: { type: "object", additionalProperties: integer },
  }),
};
