import { Type, type Static, type TSchema } from "@sinclair/typebox";

/** One input of a report (a capture, a log, a definition) identified by name and size. */
export const ReportInputSchema = Type.Object({
  kind: Type.String({ description: "capture, serverCapture, log, protocol, keys" }),
  name: Type.String(),
  bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  sha256: Type.Optional(Type.String()),
});

/** One input of a report. */
export type ReportInput = Static<typeof ReportInputSchema>;

/**
 * The envelope around every report: which tool made it, from what, with which
 * options. `generatedAt` is injectable so reports are byte-identical in tests.
 */
export function ReportEnvelopeSchema<Body extends TSchema>(body: Body) {
  return Type.Object({
    tool: Type.Literal("tickscope"),
    toolVersion: Type.String(),
    generatedAt: Type.String({ description: "ISO-8601; injected for deterministic output" }),
    inputs: Type.Array(ReportInputSchema),
    options: Type.Record(Type.String(), Type.Unknown()),
    report: body,
  });
}

/** The envelope around every report. */
export interface ReportEnvelope<Body> {
  tool: "tickscope";
  toolVersion: string;
  generatedAt: string;
  inputs: ReportInput[];
  options: Record<string, unknown>;
  report: Body;
}

/** Options of {@link createReportEnvelope}. */
export interface ReportEnvelopeOptions {
  toolVersion: string;
  inputs?: ReportInput[];
  options?: Record<string, unknown>;
  /** Fixed timestamp for deterministic output; defaults to the Unix epoch (never the wall clock). */
  generatedAt?: string;
}

/**
 * The `generatedAt` of a report made now, by the reproducible-builds
 * convention: when `SOURCE_DATE_EPOCH` (whole seconds since the Unix epoch) is
 * set in `environment` the time is that instant, so reports are byte-identical
 * across runs; otherwise it is the real time from `now` (milliseconds since the
 * epoch). A `SOURCE_DATE_EPOCH` that is not a non-negative integer is ignored.
 * Returns an ISO-8601 UTC string, e.g. `2026-12-04T15:45:11.000Z`.
 */
export function reportGeneratedAt(
  environment: Readonly<Record<string, string | undefined>> = {},
  now: () => number = Date.now,
): string {
  const sourceDateEpoch = environment.SOURCE_DATE_EPOCH?.trim();
  if (sourceDateEpoch !== undefined && /^\d{1,15}$/.test(sourceDateEpoch)) {
    const milliseconds = Number(sourceDateEpoch) * 1000;
    if (milliseconds <= 8.64e15) return new Date(milliseconds).toISOString();
  }
  return new Date(now()).toISOString();
}

/** Wraps a report body in the standard envelope. */
export function createReportEnvelope<Body>(report: Body, options: ReportEnvelopeOptions): ReportEnvelope<Body> {
  return {
    tool: "tickscope",
    toolVersion: options.toolVersion,
    generatedAt: options.generatedAt ?? "1970-01-01T00:00:00.000Z",
    inputs: options.inputs ?? [],
    options: options.options ?? {},
    report,
  };
}

/**
 * Serializes a report deterministically: object keys keep insertion order,
 * bigints become strings, byte arrays become hex, non-finite numbers become null.
 */
export function stringifyReport(value: unknown, indent = 2): string {
  return JSON.stringify(value, reportReplacer, indent);
}

function reportReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return value;
}

const HEX_DIGITS = "0123456789abcdef";

/** Lower-case hex of a byte array. */
export function bytesToHex(bytes: Uint8Array): string {
  let text = "";
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    text += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
  }
  return text;
}
