import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { Value } from "@sinclair/typebox/value";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { PARTIAL_FORMAT, PARTIAL_FORMAT_VERSION, PARTIAL_LIMITS, PartialReportSchema, type PartialReport } from "./partial-report-schema.js";

/** JSON with every object's keys sorted (arrays keep their order): the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)))
      : item,
  );
}

/** SHA-256 of text (UTF-8) or bytes, as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * SHA-256 of a file's content (streamed), as 64 lowercase hex digits: the
 * identity of a capture in a partial report (`merge` counts a capture found in
 * two partials once) and of a fleet job. `E_IO` when the file cannot be read.
 */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (error) {
    throw new TickscopeError(ErrorCode.io, `cannot read '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: "check the path and permissions", cause: error });
  }
  return hash.digest("hex");
}

/** The bytes of a partial report file: its JSON, gzip'd (deterministic: the same report gives the same bytes). */
export function encodePartialReport(report: PartialReport): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(report), "utf8"), { level: 6 });
}

function badPartial(name: string, message: string, hint: string, cause?: unknown): TickscopeError {
  return new TickscopeError(ErrorCode.badPartial, `${name}: ${message}`, { hint, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Reads a partial report from its file bytes: gunzip (bounded by
 * {@link PARTIAL_LIMITS}), JSON, format and version, then the whole shape
 * ({@link PartialReportSchema}). Anything else — truncated or not gzip, not
 * JSON, another format or version, a wrong field — is `E_BAD_PARTIAL` naming
 * `name` (the file) and, for a wrong field, its path. The analyses' states are
 * checked by the analyses when merged.
 */
export function decodePartialReport(bytes: Uint8Array, name: string): PartialReport {
  let json: Buffer;
  try {
    json = gunzipSync(bytes, { maxOutputLength: PARTIAL_LIMITS.maxJsonBytes });
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError;
    throw badPartial(
      name,
      tooLarge ? `decompresses to more than ${PARTIAL_LIMITS.maxJsonBytes} bytes` : `not a gzip'd partial report (${(error as Error).message})`,
      "give a file written by `tickscope analyze --partial` (it may be truncated or corrupt)",
      error,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(json.toString("utf8"));
  } catch (error) {
    throw badPartial(name, `not JSON inside the gzip (${(error as Error).message})`, "give a file written by `tickscope analyze --partial`", error);
  }
  const head = document as { format?: unknown; formatVersion?: unknown } | null;
  if (head === null || typeof head !== "object" || Array.isArray(head) || head.format !== PARTIAL_FORMAT) {
    throw badPartial(name, `not a tickscope partial report (format ${JSON.stringify(head?.format ?? null)?.slice(0, 40)}, expected "${PARTIAL_FORMAT}")`, "give a file written by `tickscope analyze --partial`");
  }
  if (head.formatVersion !== PARTIAL_FORMAT_VERSION) {
    throw badPartial(name, `partial format version ${JSON.stringify(head.formatVersion)?.slice(0, 20)}; this build reads version ${PARTIAL_FORMAT_VERSION}`, "write the partial again with this version of tickscope");
  }
  if (!Value.Check(PartialReportSchema, document)) {
    const first = Value.Errors(PartialReportSchema, document).First();
    throw badPartial(name, `malformed partial report at ${first?.path || "/"}: ${first?.message ?? "does not match the schema"}`, "the file was changed or written by another program (see `tickscope schema partial`)");
  }
  const report = document as PartialReport;
  if (report.captureSha256.length !== report.captures.length || report.otherTrafficByCapture.length !== report.captures.length) {
    throw badPartial(name, `${report.captures.length} capture(s) but ${report.captureSha256.length} hash(es) and ${report.otherTrafficByCapture.length} other-traffic entries`, "the file was changed or written by another program");
  }
  if (report.analyses.length !== report.run.analyses.length || report.analyses.some((saved, index) => saved.analysis !== report.run.analyses[index])) {
    throw badPartial(name, `states of ${report.analyses.map((saved) => saved.analysis).join(",") || "no analysis"} for analyses ${report.run.analyses.join(",") || "none"}`, "the partial must hold one state per analysis, in order");
  }
  if (report.run.protocolSha256 !== (report.protocol?.sha256 ?? null) || (report.protocol !== null && sha256Hex(canonicalJson(report.protocol.definition)) !== report.protocol.sha256)) {
    throw badPartial(name, "its protocol definition does not match its recorded hash", "the file was changed or written by another program");
  }
  return report;
}

/** Reads and validates a partial report file (see {@link decodePartialReport}); `E_IO` when it cannot be read. */
export async function readPartialFile(path: string): Promise<PartialReport> {
  let bytes: Buffer;
  try {
    const size = (await stat(path)).size;
    if (size > PARTIAL_LIMITS.maxJsonBytes) throw badPartial(path, `${size} bytes is more than a partial report can be`, "give a file written by `tickscope analyze --partial`");
    bytes = await readFile(path);
  } catch (error) {
    if (TickscopeError.isInstance(error)) throw error;
    throw new TickscopeError(ErrorCode.io, `cannot read partial '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: "check the path and permissions", cause: error });
  }
  return decodePartialReport(bytes, path);
}
