/**
 * Stable error codes. Codes never change meaning; new ones may be added.
 * Reports count anomalies by these same codes.
 */
export const ErrorCode = {
  /** The file does not start with a known capture magic number. */
  badMagic: "E_BAD_MAGIC",
  /** A record, block or header ends before its declared length. */
  truncated: "E_TRUNCATED",
  /** A pcapng block length is impossible (too small, unaligned, or mismatched trailer). */
  badBlockLength: "E_BAD_BLOCK_LENGTH",
  /** A frame's declared original (wire) length is impossible — below its captured length, or over the largest frame a link carries (262144 bytes, wiretap's limit) and over its captured length; the captured length is counted instead. */
  badWireLength: "E_BAD_WIRE_LENGTH",
  /** A link-layer type tickscope cannot decode. */
  unknownLinkType: "E_UNKNOWN_LINK_TYPE",
  /** A packet's timestamp is earlier than the previous packet's. */
  timestampBackwards: "E_TIMESTAMP_BACKWARDS",
  /** A timestamp lies outside the dates tickscope can print (years 0000–9999); it is kept and printed as a raw number. */
  timestampOutOfRange: "E_TIMESTAMP_OUT_OF_RANGE",
  /** A gzip stream is corrupt (bad header, deflate data, CRC or length); everything decompressed before the damage is kept. */
  gzipCorrupt: "E_GZIP_CORRUPT",
  /** An IPv4/IPv6 header is malformed. */
  badIpHeader: "E_BAD_IP_HEADER",
  /** A UDP length field disagrees with the IP payload. */
  badUdpLength: "E_BAD_UDP_LENGTH",
  /** A TCP header is malformed. */
  badTcpHeader: "E_BAD_TCP_HEADER",
  /** A fragmented datagram never completed (timeout, memory bound, or capture end). */
  incompleteFragment: "E_INCOMPLETE_FRAGMENT",
  /** Fragments overlap (possible evasion attempt). */
  overlappingFragment: "E_OVERLAPPING_FRAGMENT",
  /** A pcapng packet names an interface that no Interface Description Block declared. */
  unknownInterface: "E_UNKNOWN_INTERFACE",
  /** The capture is not in a supported version of its format. */
  unsupportedVersion: "E_UNSUPPORTED_VERSION",
  /** A game-server log line could not be parsed. */
  badLogLine: "E_BAD_LOG_LINE",
  /** A game-server log event is earlier than events already merged (out of order beyond the reorder window); delivered late. */
  logOutOfOrder: "E_LOG_OUT_OF_ORDER",
  /** A protocol definition failed validation. */
  definitionInvalid: "E_DEFINITION_INVALID",
  /** A datagram did not match the protocol definition. */
  decodeFailed: "E_DECODE_FAILED",
  /** A value is outside the min/max/enum declared in the definition. */
  valueOutOfRange: "E_VALUE_OUT_OF_RANGE",
  /** A length or count exceeds the maximum declared in the definition. */
  lengthExceeded: "E_LENGTH_EXCEEDED",
  /** A datagram holds a different number of messages than its header's count field says (body `count`). */
  countMismatch: "E_COUNT_MISMATCH",
  /** AEAD authentication failed (wrong key or tampered packet). */
  decryptFailed: "E_DECRYPT_FAILED",
  /** No key is available for an encrypted packet. */
  keyMissing: "E_KEY_MISSING",
  /** A value cannot be encoded with the definition (encoder side). */
  encodeFailed: "E_ENCODE_FAILED",
  /** A caller passed an invalid option. */
  invalidOption: "E_INVALID_OPTION",
  /** A protocol definition lacks the roles a task needs (e.g. simulating a match through it). */
  protocolUnsupported: "E_PROTOCOL_UNSUPPORTED",
  /** A file could not be read or written. */
  io: "E_IO",
  /** The command line is malformed (unknown command or option, missing argument). */
  usage: "E_USAGE",
  /** A saved analysis state (`--partial` file or a worker's state) is not one this version can merge: wrong shape, version or analysis. */
  badPartial: "E_BAD_PARTIAL",
  /** Partial states that cannot be merged together (different protocol definition, settings or analyses). */
  partialMismatch: "E_PARTIAL_MISMATCH",
  /** The job queue (Redis, for `tickscope fleet`) cannot be reached or answered with an error. */
  queueUnavailable: "E_QUEUE_UNAVAILABLE",
} as const;

/** One of the stable {@link ErrorCode} values. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

const marker = Symbol.for("tickscope.error");

/** Extra context attached to a {@link TickscopeError}. */
export interface TickscopeErrorDetails {
  /** Byte offset in the file or datagram where the problem was found. */
  readonly offset?: number;
  /** Path of the field being decoded, e.g. `snapshot.entities[3].position.x`. */
  readonly fieldPath?: string;
  /** Index of the packet in the capture (0-based). */
  readonly packetIndex?: number;
  /** A hint telling the user what to do about it. */
  readonly hint?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * The one error class of tickscope. Every thrown error carries a stable
 * {@link ErrorCode}; use {@link TickscopeError.isInstance} rather than
 * `instanceof` so errors from another copy of the package are recognized.
 */
export class TickscopeError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCodeValue;
  /** Byte offset where the problem was found, if known. */
  readonly offset: number | undefined;
  /** Field path where decoding failed, if known. */
  readonly fieldPath: string | undefined;
  /** Packet index, if known. */
  readonly packetIndex: number | undefined;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(code: ErrorCodeValue, message: string, details: TickscopeErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "TickscopeError";
    this.code = code;
    this.offset = details.offset;
    this.fieldPath = details.fieldPath;
    this.packetIndex = details.packetIndex;
    this.hint = details.hint;
    Object.defineProperty(this, marker, { value: true });
  }

  /** True for any tickscope error, including ones from another copy of this package. */
  static isInstance(value: unknown): value is TickscopeError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** True when `value` is a {@link TickscopeError} with the given code. */
export function hasErrorCode(value: unknown, code: ErrorCodeValue): value is TickscopeError {
  return TickscopeError.isInstance(value) && value.code === code;
}
