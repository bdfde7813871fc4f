import { Type, type Static } from "@sinclair/typebox";

/** One side of a conversation: an IP address (v4 dotted or v6 text) and a port. */
export const EndpointSchema = Type.Object({
  address: Type.String({ description: "IPv4 dotted quad or IPv6 text form" }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
});

/** One side of a conversation: an IP address (v4 dotted or v6 text) and a port. */
export type Endpoint = Static<typeof EndpointSchema>;

/** Formats an endpoint as `ip:port`, or `[ipv6]:port` for IPv6 (as tshark does). */
export function formatEndpoint(endpoint: Endpoint): string {
  return formatAddressPort(endpoint.address, endpoint.port);
}

/** Formats an address and port as `ip:port`, or `[ipv6]:port` for IPv6. */
export function formatAddressPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
