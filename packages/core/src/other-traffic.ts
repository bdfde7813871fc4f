import { Type, type Static } from "@sinclair/typebox";
import { TransportSchema } from "./packet.js";
import { ServerRuleSchema } from "./session.js";

/**
 * Why traffic is not the game's: `transport` (not UDP), `serverPort` (no
 * endpoint on a `--server-port`), `definitionPort` (no endpoint on the
 * definition's `match.ports`), `excludedPort` (an endpoint on
 * `match.excludePorts`), `datagramMatch` (the datagram fails the definition's
 * match conditions), `flowMatch` (a datagram of a flow not accepted yet fails
 * the definition's flow conditions), `notAccepted` (matching datagrams of a
 * flow that never reached `match.acceptAfter`).
 */
export const OTHER_TRAFFIC_REASONS = ["transport", "serverPort", "definitionPort", "excludedPort", "datagramMatch", "flowMatch", "notAccepted"] as const;

/** Why traffic is not the game's (see {@link OTHER_TRAFFIC_REASONS}). */
export type OtherTrafficReason = (typeof OTHER_TRAFFIC_REASONS)[number];

/** Why traffic is not the game's. */
export const OtherTrafficReasonSchema = Type.Union(OTHER_TRAFFIC_REASONS.map((reason) => Type.Literal(reason)));

const CountersSchema = Type.Object({
  packets: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0, description: "frame bytes on the wire" }),
});

/** One flow that carried other traffic. */
export const OtherTrafficFlowSchema = Type.Object({
  transport: TransportSchema,
  a: Type.String({ description: "ip:port of the endpoint that sent the first packet" }),
  b: Type.String(),
  server: Type.String({ description: "ip:port taken as the server side" }),
  serverRule: ServerRuleSchema,
  reason: OtherTrafficReasonSchema,
  packets: Type.Integer({ minimum: 0, description: "packets of this flow that are other traffic" }),
  bytes: Type.Integer({ minimum: 0 }),
  gamePackets: Type.Integer({ minimum: 0, description: "packets of the same flow that are the game's (STUN beside RTP on one 5-tuple)" }),
});

/** One flow that carried other traffic. */
export type OtherTrafficFlow = Static<typeof OtherTrafficFlowSchema>;

/** Other traffic on one server-side port. */
export const OtherTrafficPortSchema = Type.Object({
  transport: TransportSchema,
  port: Type.Integer({ minimum: 0, maximum: 65535, description: "the server-side port of the flows" }),
  flows: Type.Integer({ minimum: 0 }),
  packets: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
});

/** Other traffic on one server-side port. */
export type OtherTrafficPort = Static<typeof OtherTrafficPortSchema>;

/**
 * Traffic in the captures that is not the game's under the protocol
 * definition's `match` section and `--server-port`: counted and listed, never
 * decoded, never sessions or players of an analysis.
 */
export const OtherTrafficSchema = Type.Object({
  packets: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0, description: "frame bytes on the wire" }),
  flowCount: Type.Integer({ minimum: 0, description: "flows with at least one packet of other traffic" }),
  byReason: Type.Record(Type.String(), CountersSchema),
  ports: Type.Array(OtherTrafficPortSchema, { description: "by server-side port, most bytes first (at most 50)" }),
  flows: Type.Array(OtherTrafficFlowSchema, { description: "most bytes first (at most 200; flowCount says how many in all)" }),
});

/** Traffic that is not the game's. */
export type OtherTraffic = Static<typeof OtherTrafficSchema>;

/** An empty {@link OtherTraffic}. */
export function emptyOtherTraffic(): OtherTraffic {
  return { packets: 0, bytes: 0, flowCount: 0, byReason: {}, ports: [], flows: [] };
}

/** Most flows / ports listed in an {@link OtherTraffic}. */
export const OTHER_TRAFFIC_LIST_LIMITS = { flows: 200, ports: 50 } as const;

/**
 * Adds two other-traffic summaries (e.g. of two captures analyzed one after
 * the other): counters add up, lists are merged and cut to their limits.
 */
export function mergeOtherTraffic(left: OtherTraffic, right: OtherTraffic): OtherTraffic {
  const byReason: Record<string, { packets: number; bytes: number }> = {};
  for (const source of [left.byReason, right.byReason]) {
    for (const [reason, counters] of Object.entries(source)) {
      const target = (byReason[reason] ??= { packets: 0, bytes: 0 });
      target.packets += counters.packets;
      target.bytes += counters.bytes;
    }
  }
  const ports = new Map<string, OtherTrafficPort>();
  for (const port of [...left.ports, ...right.ports]) {
    const key = `${port.transport}:${port.port}`;
    const existing = ports.get(key);
    if (existing === undefined) ports.set(key, { ...port });
    else {
      existing.flows += port.flows;
      existing.packets += port.packets;
      existing.bytes += port.bytes;
    }
  }
  return {
    packets: left.packets + right.packets,
    bytes: left.bytes + right.bytes,
    flowCount: left.flowCount + right.flowCount,
    byReason: Object.fromEntries(Object.entries(byReason).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    ports: [...ports.values()].sort(compareByBytes).slice(0, OTHER_TRAFFIC_LIST_LIMITS.ports),
    flows: [...left.flows, ...right.flows].sort(compareByBytes).slice(0, OTHER_TRAFFIC_LIST_LIMITS.flows),
  };
}

/** Most bytes first; stable for ties (callers give lists in a deterministic order). */
export function compareByBytes(left: { bytes: number }, right: { bytes: number }): number {
  return right.bytes - left.bytes;
}

/** Human words for each {@link OtherTrafficReason}. */
export const OTHER_TRAFFIC_REASON_WORDS: Readonly<Record<OtherTrafficReason, string>> = {
  transport: "not UDP",
  serverPort: "not on --server-port",
  definitionPort: "not on the definition's ports",
  excludedPort: "on an excluded port",
  datagramMatch: "failed the definition's match",
  flowMatch: "flow never matched",
  notAccepted: "flow never accepted",
};

/**
 * One sentence on the traffic that is not the game's, e.g. `Other traffic (not
 * the game's: never decoded, never a session): 40 packets, 6509 bytes in 1
 * flow(s); packets by reason: failed the definition's match 40; top server
 * ports: udp/18452 (40).`
 */
export function describeOtherTraffic(other: OtherTraffic): string {
  if (other.packets === 0) return "Other traffic: none (every packet is the game's).";
  const reasons = Object.entries(other.byReason)
    .map(([reason, counters]) => `${OTHER_TRAFFIC_REASON_WORDS[reason as OtherTrafficReason] ?? reason} ${counters.packets}`)
    .join(", ");
  const ports = other.ports
    .slice(0, 5)
    .map((port) => `${port.transport}/${port.port} (${port.packets})`)
    .join(", ");
  return (
    `Other traffic (not the game's: never decoded, never a session): ${other.packets} packets, ${other.bytes} bytes in ${other.flowCount} flow(s); ` +
    `packets by reason: ${reasons}; top server ports: ${ports}.`
  );
}
