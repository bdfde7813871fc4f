import type { Direction } from "@tickscope/core";
import type { InferenceFlow } from "./inference-input.js";

/** The sampled datagrams of one session direction, in capture order. */
export interface DirectionStream {
  /** Session id. */
  sessionId: string;
  /** Direction. */
  direction: Direction;
  /** Capture times, µs. */
  times: number[];
  /** Payloads. */
  payloads: Uint8Array[];
}

/**
 * Splits flows into one stream per session direction, keeping the datagrams
 * `keep` accepts (default: all); streams without datagrams are left out.
 */
export function directionStreams(flows: readonly InferenceFlow[], keep?: (payload: Uint8Array) => boolean): DirectionStream[] {
  const streams: DirectionStream[] = [];
  for (const flow of flows) {
    const byDirection: Record<Direction, DirectionStream> = {
      clientToServer: { sessionId: flow.sessionId, direction: "clientToServer", times: [], payloads: [] },
      serverToClient: { sessionId: flow.sessionId, direction: "serverToClient", times: [], payloads: [] },
    };
    for (const datagram of flow.datagrams) {
      if (keep !== undefined && !keep(datagram.payload)) continue;
      const stream = byDirection[datagram.direction];
      stream.times.push(datagram.tUs);
      stream.payloads.push(datagram.payload);
    }
    for (const stream of Object.values(byDirection)) if (stream.payloads.length > 0) streams.push(stream);
  }
  return streams;
}

/** The stream of the other direction of the same session, if any. */
export function peerStream(streams: readonly DirectionStream[], stream: DirectionStream): DirectionStream | undefined {
  return streams.find((other) => other.sessionId === stream.sessionId && other.direction !== stream.direction);
}
