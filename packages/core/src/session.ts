import { Type, type Static } from "@sinclair/typebox";
import { EndpointSchema } from "./endpoint.js";
import { TransportSchema } from "./packet.js";
import { TimeUsSchema } from "./time.js";

/** Direction of traffic within a session. */
export const DirectionSchema = Type.Union([Type.Literal("clientToServer"), Type.Literal("serverToClient")]);

/** Direction of traffic within a session. */
export type Direction = Static<typeof DirectionSchema>;

/** The two directions, client to server first. */
export const DIRECTIONS: readonly Direction[] = ["clientToServer", "serverToClient"];

/** Traffic counters of one direction. */
export const DirectionCountersSchema = Type.Object({
  packets: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0, description: "frame bytes on the wire" }),
});

/** Traffic counters of one direction. */
export type DirectionCounters = Static<typeof DirectionCountersSchema>;

/**
 * Which evidence decided the server side of a session, strongest first:
 * `serverPort` (`--server-port`), `definitionPort` (the protocol's `match.ports`),
 * `fanIn` (the endpoint other clients already talk to), `firstDatagram` (the
 * client sent the flow's first datagram, seen after the capture began),
 * `ephemeralPort` (the other side uses an OS ephemeral port: IANA 49152-65535 or
 * Linux 32768-60999), `firstDatagramAtCaptureStart` (only the first sender is
 * known, and the flow may have begun before the capture).
 */
export const SERVER_RULES = ["serverPort", "definitionPort", "fanIn", "firstDatagram", "ephemeralPort", "firstDatagramAtCaptureStart"] as const;

/** Which evidence decided the server side of a session (see {@link SERVER_RULES}). */
export const ServerRuleSchema = Type.Union(SERVER_RULES.map((rule) => Type.Literal(rule)));

/** Which evidence decided the server side of a session. */
export type ServerRule = (typeof SERVER_RULES)[number];

/**
 * A bidirectional conversation keyed by its 5-tuple pair. `a` is the endpoint
 * that sent the flow's first packet.
 */
export const FlowSchema = Type.Object({
  transport: TransportSchema,
  a: Type.String({ description: "ip:port of the endpoint that sent the first packet" }),
  b: Type.String(),
  aToB: DirectionCountersSchema,
  bToA: DirectionCountersSchema,
  firstUs: TimeUsSchema,
  lastUs: TimeUsSchema,
  server: Type.Optional(Type.String({ description: "ip:port of the side taken as the server" })),
  serverRule: Type.Optional(ServerRuleSchema),
});

/** A bidirectional conversation keyed by its 5-tuple pair. */
export type Flow = Static<typeof FlowSchema>;

/**
 * One client ↔ one server conversation with known roles. The id is stable: the
 * same capture always gives the same ids (derived from transport and endpoints,
 * or from a protocol-level session id).
 */
export const SessionSchema = Type.Object({
  id: Type.String(),
  transport: TransportSchema,
  client: EndpointSchema,
  server: EndpointSchema,
  firstUs: TimeUsSchema,
  lastUs: TimeUsSchema,
  clientToServer: DirectionCountersSchema,
  serverToClient: DirectionCountersSchema,
  region: Type.Optional(Type.String()),
  player: Type.Optional(Type.String()),
  serverRule: Type.Optional(ServerRuleSchema),
});

/** One client ↔ one server conversation with known roles. */
export type Session = Static<typeof SessionSchema>;
