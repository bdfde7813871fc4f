import { Type, type TSchema } from "@sinclair/typebox";

/** Every field type keyword of the definition language. */
export const FIELD_TYPE_NAMES = [
  "u8", "u16", "u24", "u32", "u48", "u64",
  "i8", "i16", "i24", "i32", "i48", "i64",
  "uint", "int", "varint", "f32", "f64", "quantized", "bool",
  "bytes", "string", "struct", "array", "switch", "ref", "plugin",
] as const;

/** Role names accepted on fields: the core roles plus `inputCount` (length of an input array). */
export const PROTOCOL_ROLE_NAMES = [
  "sequence", "ack", "ackBits", "ackChannel", "ackDelay", "messageType", "channel", "reliable", "resendCount", "sendTime",
  "echoTime", "echoId", "tick", "playerId", "entityId", "position.x", "position.y", "position.z",
  "rotation", "velocity.x", "velocity.y", "velocity.z", "inputSequence", "inputCount", "reportedRtt",
  "targetTime", "checksum", "mac", "sessionId", "reliableId", "aimYaw", "aimPitch",
] as const;

const Literals = <T extends readonly string[]>(values: T) => Type.Union(values.map((value) => Type.Literal(value)));

/** A condition on an earlier field: present when the field equals / is in / is not ... (or is truthy). */
export const ConditionSchema = Type.Object(
  {
    field: Type.String({ description: "name of an earlier field (this struct, an enclosing one, the frame or the datagram header)" }),
    equals: Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
    notEquals: Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
    in: Type.Optional(Type.Array(Type.Union([Type.Number(), Type.String()]), { maxItems: 4096 })),
    notIn: Type.Optional(Type.Array(Type.Union([Type.Number(), Type.String()]), { maxItems: 4096 })),
    bitsSet: Type.Optional(Type.Integer({ minimum: 0, description: "all bits of this mask are set" })),
  },
  { additionalProperties: false },
);

/** How long a bytes/string value is. */
export const LengthSchema = Type.Union([
  Type.Integer({ minimum: 0, description: "fixed length in bytes" }),
  Type.Literal("rest", { description: "everything up to the end of the enclosing frame" }),
  Type.Object({ field: Type.String({ description: "earlier field holding the length in bytes" }) }, { additionalProperties: false }),
  Type.Object({ prefix: Literals(["u8", "u16", "u32", "varint"]) }, { additionalProperties: false }),
]);

/** How many elements an array has. */
export const CountSchema = Type.Union([
  Type.Integer({ minimum: 0, description: "fixed count" }),
  Type.Literal("untilEnd", { description: "elements until the end of the enclosing frame" }),
  Type.Object({ field: Type.String({ description: "earlier field holding the count" }) }, { additionalProperties: false }),
  Type.Object({ prefix: Literals(["u8", "u16", "u32", "varint"]) }, { additionalProperties: false }),
]);

const fieldProperties = (Self: TSchema) => ({
  name: Type.Optional(Type.String({ description: "field name: an identifier (letters, digits, _), unique in its struct" })),
  type: Literals(FIELD_TYPE_NAMES),
  description: Type.Optional(Type.String()),
  bits: Type.Optional(Type.Integer({ description: "bit width (uint/int 1-64, quantized 1-32, bool 1-8, f32/f64 implied)" })),
  byteOrder: Type.Optional(Literals(["big", "little"])),
  byteLength: Type.Optional(
    Type.Object({ field: Type.String() }, { additionalProperties: false, description: "uint/int whose byte count (0-8) is an earlier field" }),
  ),
  zigzag: Type.Optional(Type.Boolean({ description: "varint: zigzag-encoded signed value" })),
  min: Type.Optional(Type.Number({ description: "quantized: range low end; other numbers: smallest valid value" })),
  max: Type.Optional(Type.Number({ description: "quantized: range high end; other numbers: largest valid value" })),
  enum: Type.Optional(Type.Array(Type.Union([Type.Number(), Type.String()]), { maxItems: 4096 })),
  length: Type.Optional(LengthSchema),
  maxLength: Type.Optional(Type.Integer({ minimum: 0 })),
  encoding: Type.Optional(Literals(["utf8", "ascii"])),
  fields: Type.Optional(Type.Array(Self, { maxItems: 4096 })),
  of: Type.Optional(Self),
  count: Type.Optional(CountSchema),
  maxCount: Type.Optional(Type.Integer({ minimum: 0 })),
  on: Type.Optional(Type.String({ description: "switch: earlier field to switch on" })),
  cases: Type.Optional(
    Type.Array(
      Type.Object(
        {
          value: Type.Union([Type.Number(), Type.String(), Type.Array(Type.Union([Type.Number(), Type.String()]))]),
          fields: Type.Array(Self, { maxItems: 4096 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 4096 },
    ),
  ),
  default: Type.Optional(Type.Object({ fields: Type.Array(Self, { maxItems: 4096 }) }, { additionalProperties: false })),
  ref: Type.Optional(Type.String({ description: "ref: name of a type in `types`" })),
  plugin: Type.Optional(Type.String({ description: "plugin: registered plugin name" })),
  options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  when: Type.Optional(ConditionSchema),
  role: Type.Optional(Literals(PROTOCOL_ROLE_NAMES)),
  unit: Type.Optional(Literals(["ns", "us", "ms", "s"])),
  ticksPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "time roles counted in ticks of this rate" })),
  echoPhase: Type.Optional(Literals(["request", "reply"])),
  scale: Type.Optional(
    Type.Number({ description: "integers of at most 48 bits: the value is raw × scale + offset (e.g. 0.01 for centimetres as metres); not 0" }),
  ),
  offset: Type.Optional(Type.Number({ description: "integers with scale: added after scaling (value = raw × scale + offset; default 0)" })),
  order: Type.Optional(
    Type.Union([Type.Literal("newestFirst"), Type.Literal("oldestFirst")], {
      description: "arrays whose struct elements carry roles (not entities): which end is the newest element; roles.elements lists them newest first",
    }),
  ),
});

/** One field (or, without `name`, an anonymous type such as an array element). Recursive. */
export const FieldSchema = Type.Recursive(
  (Self) => Type.Object(fieldProperties(Self), { additionalProperties: false }),
  { $id: "ProtocolField" },
);

/** Longest inline hex key or byte string, in hex characters (4 KiB). */
export const MAX_KEY_HEX_CHARACTERS = 8192;
/** Whole bytes of hex; non-capturing, so a long string cannot overflow the regular-expression stack. */
const HEX_KEY_PATTERN = "^(?:[0-9a-fA-F]{2})+$";

/** A part of an AEAD nonce or associated data. */
export const BytePartSchema = Type.Union([
  Type.Object({ hex: Type.String({ maxLength: MAX_KEY_HEX_CHARACTERS, pattern: "^(?:[0-9a-fA-F]{2})*$" }) }, { additionalProperties: false }),
  Type.Object({ ascii: Type.String() }, { additionalProperties: false }),
  Type.Object({ zeros: Type.Integer({ minimum: 0, maximum: 64 }) }, { additionalProperties: false }),
  Type.Object(
    {
      field: Type.String(),
      bytes: Type.Integer({ minimum: 1, maximum: 8 }),
      byteOrder: Type.Optional(Literals(["big", "little"])),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      uint: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: "^(0x[0-9a-fA-F]+|[0-9]+)$" })]),
      bytes: Type.Integer({ minimum: 1, maximum: 8 }),
      byteOrder: Type.Optional(Literals(["big", "little"])),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { datagramBytes: Type.Object({ offset: Type.Integer({ minimum: 0 }), length: Type.Integer({ minimum: 0, maximum: 64 }) }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
]);

/** Per-direction keys (hex), or one key for both directions. */
export const KeySetSchema = Type.Object(
  {
    both: Type.Optional(Type.String({ maxLength: MAX_KEY_HEX_CHARACTERS, pattern: HEX_KEY_PATTERN })),
    clientToServer: Type.Optional(Type.String({ maxLength: MAX_KEY_HEX_CHARACTERS, pattern: HEX_KEY_PATTERN })),
    serverToClient: Type.Optional(Type.String({ maxLength: MAX_KEY_HEX_CHARACTERS, pattern: HEX_KEY_PATTERN })),
  },
  { additionalProperties: false },
);

/** A transform applied to the bytes of a region before decoding it (after the header / frame header). */
export const TransformSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal("xor"),
      keyField: Type.String({ description: "earlier field whose value selects the XOR key" }),
      keys: Type.Record(Type.String({ pattern: "^-?[0-9]+$" }), Type.String({ maxLength: MAX_KEY_HEX_CHARACTERS, pattern: HEX_KEY_PATTERN }), {
        description: "field value -> repeating key (hex); values not listed are not obfuscated",
        additionalProperties: false,
      }),
      when: Type.Optional(ConditionSchema),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal("aead"),
      algorithm: Literals(["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "xchacha20-poly1305"]),
      nonce: Type.Array(BytePartSchema, { maxItems: 16 }),
      aad: Type.Optional(Type.Array(BytePartSchema, { maxItems: 16 })),
      keys: Type.Optional(KeySetSchema),
      keyName: Type.Optional(Type.String({ description: "name looked up in key files / key providers (default: protocol name)" })),
      when: Type.Optional(ConditionSchema),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal("plugin"),
      plugin: Type.String(),
      options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      when: Type.Optional(ConditionSchema),
    },
    { additionalProperties: false },
  ),
]);

/** Chooses the message type of a frame. */
export const SelectSchema = Type.Recursive(
  (Self) =>
    Type.Object(
      {
        message: Type.Optional(Type.String({ description: "always this message type" })),
        prefix: Type.Optional(Type.Array(FieldSchema, { maxItems: 64, description: "fields read before choosing (e.g. a type byte)" })),
        on: Type.Optional(Type.String({ description: "field (header, frame header or prefix) whose value chooses the case" })),
        cases: Type.Optional(
          Type.Array(
            Type.Object(
              {
                value: Type.Union([Type.Number(), Type.String(), Type.Array(Type.Union([Type.Number(), Type.String()]))]),
                message: Type.Optional(Type.String()),
                select: Type.Optional(Self),
              },
              { additionalProperties: false },
            ),
            { maxItems: 4096 },
          ),
        ),
        default: Type.Optional(Self),
      },
      { additionalProperties: false },
    ),
  { $id: "ProtocolSelect" },
);

/** How the bytes after the datagram header divide into messages. */
export const BodySchema = Type.Recursive(
  (Self) =>
    Type.Object(
      {
        repeat: Type.Optional(Literals(["once", "untilEnd"])),
        maxMessages: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
        count: Type.Optional(
          Type.Object(
            { field: Type.String({ description: "datagram header field holding the number of messages in the datagram" }) },
            { additionalProperties: false, description: "a header count drives the number of messages: exactly that many frames are read, a different number is an E_COUNT_MISMATCH anomaly" },
          ),
        ),
        frameHeader: Type.Optional(Type.Array(FieldSchema, { maxItems: 64 })),
        length: Type.Optional(
          Type.Object(
            {
              field: Type.String({ description: "frame header field with the frame length in bytes" }),
              includesHeader: Type.Optional(Type.Boolean({ description: "the length counts the frame header too" })),
            },
            { additionalProperties: false },
          ),
        ),
        transforms: Type.Optional(Type.Array(TransformSchema, { maxItems: 8 })),
        select: Type.Optional(SelectSchema),
        switch: Type.Optional(Type.String({ description: "header field choosing between bodies" })),
        cases: Type.Optional(
          Type.Array(
            Type.Object(
              { value: Type.Union([Type.Number(), Type.String(), Type.Array(Type.Union([Type.Number(), Type.String()]))]), body: Self },
              { additionalProperties: false },
            ),
            { maxItems: 256 },
          ),
        ),
        default: Type.Optional(Self),
      },
      { additionalProperties: false },
    ),
  { $id: "ProtocolBody" },
);

/** One message type. */
export const MessageSchema = Type.Object(
  {
    name: Type.String({ description: "message type name (identifier)" }),
    description: Type.Optional(Type.String()),
    channel: Type.Optional(Type.Union([Type.String(), Type.Number()], { description: "logical channel, when no field has the channel role" })),
    ackChannel: Type.Optional(
      Type.Union([Type.String(), Type.Number()], {
        description: "channel whose sequences this message's ack/ackBits acknowledge, when not its own channel (e.g. a control-channel ack of a data channel)",
      }),
    ),
    reliable: Type.Optional(Type.Boolean()),
    fields: Type.Array(FieldSchema, { maxItems: 4096 }),
  },
  { additionalProperties: false },
);

/** A UDP port or an inclusive port range. */
export const PortSpecSchema = Type.Union([
  Type.Integer({ minimum: 0, maximum: 65535 }),
  Type.Object(
    { from: Type.Integer({ minimum: 0, maximum: 65535 }), to: Type.Integer({ minimum: 0, maximum: 65535 }) },
    { additionalProperties: false, description: "inclusive port range" },
  ),
]);

const MatchValueSchema = Type.Union([
  Type.Number(),
  Type.String({ pattern: "^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$", description: "unsigned integer as 0x-hex or decimal text (for 64-bit values)" }),
]);

const matchOperandProperties = {
  field: Type.Optional(
    Type.String({
      description:
        "a field at a fixed bit offset from the datagram start: a header field, or (without top-level transforms) a field of the first frame header or of the only message",
    }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: "raw: byte offset from the datagram start (instead of `field`)" })),
  bytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 8, description: "raw: how many bytes (1-8) to read at `offset`" })),
  byteOrder: Type.Optional(Literals(["big", "little"])),
  mask: Type.Optional(MatchValueSchema),
  equals: Type.Optional(MatchValueSchema),
  notEquals: Type.Optional(MatchValueSchema),
  in: Type.Optional(Type.Array(MatchValueSchema, { maxItems: 256 })),
  notIn: Type.Optional(Type.Array(MatchValueSchema, { maxItems: 256 })),
  min: Type.Optional(Type.Number({ description: "smallest matching value (inclusive)" })),
  max: Type.Optional(Type.Number({ description: "largest matching value (inclusive)" })),
  ascii: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 8 }), { maxItems: 64, description: "raw: the bytes spell one of these ASCII tags" })),
};

/** A condition that must hold on a datagram for it to be the game's (a `match` condition, not a sanity limit). */
export const MatchConditionSchema = Type.Object(
  {
    ...matchOperandProperties,
    fitsFrom: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: "the value is a byte count starting at this datagram offset: it must end inside the datagram" }),
    ),
    when: Type.Optional(
      Type.Object(matchOperandProperties, { additionalProperties: false, description: "the condition applies only to datagrams where this holds" }),
    ),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * Which traffic is the protocol's, like a Wireshark heuristic dissector: flows
 * on the game's server ports, datagrams whose constant/magic fields match, and
 * flows accepted once enough of their datagrams matched. Everything else is
 * reported as other traffic and never decoded.
 */
export const TrafficMatchSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    ports: Type.Optional(
      Type.Array(PortSpecSchema, {
        maxItems: 256,
        description: "the game's server ports: a flow is the game's only when one endpoint uses one, and that endpoint is the server",
      }),
    ),
    excludePorts: Type.Optional(
      Type.Array(PortSpecSchema, { maxItems: 256, description: "flows with either endpoint on one of these ports are never the game's (DNS, mDNS, ...)" }),
    ),
    minLength: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: "smallest game datagram (payload bytes)" })),
    maxLength: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: "largest game datagram (payload bytes)" })),
    datagram: Type.Optional(
      Type.Array(MatchConditionSchema, { maxItems: 64, description: "conditions every game datagram meets: one that fails is not the game's, even on a game flow (STUN beside RTP)" }),
    ),
    flow: Type.Optional(
      Type.Array(MatchConditionSchema, {
        maxItems: 64,
        description:
          "conditions that accept a flow (acceptAfter of its datagrams meet them); once accepted, a datagram failing them is still the game's and is decoded, so a forged magic is a decode anomaly the anticheat sees",
      }),
    ),
    acceptAfter: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description: "a flow is the game's once this many of its datagrams matched (earlier matching datagrams wait, in time order); default 1",
      }),
    ),
  },
  { additionalProperties: false },
);

/** A complete protocol definition. Plain JSON: clone it, change it, compile it again. */
export const ProtocolDefinitionSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.String({ description: "protocol name (identifier)" }),
    version: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    byteOrder: Type.Optional(Literals(["big", "little"])),
    header: Type.Optional(Type.Array(FieldSchema, { maxItems: 256, description: "datagram header; its roles are copied onto every message" })),
    transforms: Type.Optional(Type.Array(TransformSchema, { maxItems: 8, description: "applied to the bytes after the header" })),
    body: BodySchema,
    types: Type.Optional(Type.Record(Type.String(), FieldSchema)),
    messages: Type.Array(MessageSchema, { minItems: 1, maxItems: 4096 }),
    match: Type.Optional(TrafficMatchSchema),
  },
  { additionalProperties: false, $id: "ProtocolDefinition" },
);

type FieldTypeName = (typeof FIELD_TYPE_NAMES)[number];
type ProtocolRoleName = (typeof PROTOCOL_ROLE_NAMES)[number];
type CaseValue = number | string | (number | string)[];
type PrefixKind = "u8" | "u16" | "u32" | "varint";

/** A field presence condition. */
export interface ConditionDefinition {
  field: string;
  equals?: number | string | boolean;
  notEquals?: number | string | boolean;
  in?: (number | string)[];
  notIn?: (number | string)[];
  bitsSet?: number;
}

/** One field of a definition (without `name`: an anonymous type, e.g. an array element or a named type). */
export interface FieldDefinition {
  name?: string;
  type: FieldTypeName;
  description?: string;
  bits?: number;
  byteOrder?: "big" | "little";
  /** uint/int whose byte count (0-8) is an earlier field. At 0 bytes it is absent from the wire: it decodes as 0 in `fields` but sets no role. */
  byteLength?: { field: string };
  zigzag?: boolean;
  min?: number;
  max?: number;
  enum?: (number | string)[];
  length?: number | "rest" | { field: string } | { prefix: PrefixKind };
  maxLength?: number;
  encoding?: "utf8" | "ascii";
  fields?: FieldDefinition[];
  of?: FieldDefinition;
  count?: number | "untilEnd" | { field: string } | { prefix: PrefixKind };
  maxCount?: number;
  on?: string;
  cases?: { value: CaseValue; fields: FieldDefinition[] }[];
  default?: { fields: FieldDefinition[] };
  ref?: string;
  plugin?: string;
  options?: Record<string, unknown>;
  when?: ConditionDefinition;
  role?: ProtocolRoleName;
  unit?: "ns" | "us" | "ms" | "s";
  ticksPerSecond?: number;
  echoPhase?: "request" | "reply";
  /** Integers of at most 48 bits: the decoded value is `raw × scale + offset` (the encoder rounds back to the raw integer). */
  scale?: number;
  /** Integers with `scale`: added after scaling (default 0). */
  offset?: number;
  /**
   * Arrays whose struct elements carry roles (not entity arrays): which end is the newest
   * element. `roles.elements` lists them newest first, and the newest element's roles fill
   * the message roles the message's own fields leave unset.
   */
  order?: "newestFirst" | "oldestFirst";
}

/** A nonce/AAD part. */
export type BytePartDefinition =
  | { hex: string }
  | { ascii: string }
  | { zeros: number }
  | { field: string; bytes: number; byteOrder?: "big" | "little" }
  | { uint: number | string; bytes: number; byteOrder?: "big" | "little" }
  | { datagramBytes: { offset: number; length: number } };

/** A byte-region transform. */
export type TransformDefinition =
  | { kind: "xor"; keyField: string; keys: Record<string, string>; when?: ConditionDefinition }
  | {
      kind: "aead";
      algorithm: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305" | "xchacha20-poly1305";
      nonce: BytePartDefinition[];
      aad?: BytePartDefinition[];
      keys?: { both?: string; clientToServer?: string; serverToClient?: string };
      keyName?: string;
      when?: ConditionDefinition;
    }
  | { kind: "plugin"; plugin: string; options?: Record<string, unknown>; when?: ConditionDefinition };

/** A message selector. */
export interface SelectDefinition {
  message?: string;
  prefix?: FieldDefinition[];
  on?: string;
  cases?: { value: CaseValue; message?: string; select?: SelectDefinition }[];
  default?: SelectDefinition;
}

/** A body layout. */
export interface BodyDefinition {
  repeat?: "once" | "untilEnd";
  maxMessages?: number;
  /** A datagram header field holding the number of messages: exactly that many frames are read; a different number is an `E_COUNT_MISMATCH` anomaly. */
  count?: { field: string };
  frameHeader?: FieldDefinition[];
  length?: { field: string; includesHeader?: boolean };
  transforms?: TransformDefinition[];
  select?: SelectDefinition;
  switch?: string;
  cases?: { value: CaseValue; body: BodyDefinition }[];
  default?: BodyDefinition;
}

/** A message type definition. */
export interface MessageDefinition {
  name: string;
  description?: string;
  channel?: string | number;
  /** Channel whose sequences this message's `ack`/`ackBits` acknowledge, when not its own. */
  ackChannel?: string | number;
  reliable?: boolean;
  fields: FieldDefinition[];
}

/** A protocol definition (the JSON document). Plain JSON: clone it, change it, compile it again. */
export interface ProtocolDefinition {
  $schema?: string;
  name: string;
  version?: string;
  description?: string;
  byteOrder?: "big" | "little";
  header?: FieldDefinition[];
  transforms?: TransformDefinition[];
  body: BodyDefinition;
  types?: Record<string, FieldDefinition>;
  messages: MessageDefinition[];
  /** Which traffic is this protocol's (see {@link TrafficMatchDefinition}); without it every UDP datagram is decoded. */
  match?: TrafficMatchDefinition;
}

/** A UDP port or an inclusive range. */
export type PortSpec = number | { from: number; to: number };

/** A value in a match condition: a number, or an unsigned integer as `0x` hex / decimal text (64-bit values). */
export type MatchValue = number | string;

/** What a match condition reads and tests (see {@link MatchConditionDefinition}). */
export interface MatchOperandDefinition {
  /** A field at a fixed bit offset from the datagram start. */
  field?: string;
  /** Raw: byte offset from the datagram start. */
  offset?: number;
  /** Raw: bytes to read (1-8). */
  bytes?: number;
  /** Raw: byte order (default: the definition's). */
  byteOrder?: "big" | "little";
  /** Bits of the value kept before testing. */
  mask?: MatchValue;
  /** The value equals this. */
  equals?: MatchValue;
  /** The value differs from this. */
  notEquals?: MatchValue;
  /** The value is one of these. */
  in?: MatchValue[];
  /** The value is none of these. */
  notIn?: MatchValue[];
  /** Smallest matching value. */
  min?: number;
  /** Largest matching value. */
  max?: number;
  /** Raw: the bytes spell one of these ASCII tags. */
  ascii?: string[];
}

/** A condition every game datagram meets (optionally only when `when` holds). */
export interface MatchConditionDefinition extends MatchOperandDefinition {
  /** The value is a byte count from this datagram offset; it must end inside the datagram. */
  fitsFrom?: number;
  /** The condition applies only where this holds. */
  when?: MatchOperandDefinition;
  /** Why this identifies the game. */
  description?: string;
}

/** The `match` section of a definition: which flows and datagrams are the game's. */
export interface TrafficMatchDefinition {
  /** Why these conditions identify the game. */
  description?: string;
  /** The game's server ports/ranges: only flows with an endpoint on one are the game's; that endpoint is the server. */
  ports?: PortSpec[];
  /** Flows with an endpoint on one of these are never the game's. */
  excludePorts?: PortSpec[];
  /** Smallest game datagram (payload bytes). */
  minLength?: number;
  /** Largest game datagram (payload bytes). */
  maxLength?: number;
  /** Conditions every game datagram meets (one that fails is other traffic, even on a game flow). */
  datagram?: MatchConditionDefinition[];
  /** Conditions that accept a flow; once accepted, datagrams failing them are still decoded (a forged magic stays a decode anomaly). */
  flow?: MatchConditionDefinition[];
  /** A flow is accepted once this many of its datagrams met the datagram and flow conditions (default 1). */
  acceptAfter?: number;
}
