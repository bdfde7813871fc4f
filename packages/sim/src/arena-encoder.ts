import { compileProtocol, type CompiledProtocol, type MessageToEncode } from "@tickscope/core/protocol";
import { ARENA_DEFINITION } from "./arena-definition.js";
import { type ArenaDatagram, type DatagramEncoder } from "./arena-types.js";

/** A {@link DatagramEncoder} backed by the arena definition's compiled encoder. */
export interface ArenaEncoder extends DatagramEncoder {
  /** The compiled protocol (also a `DatagramDecoder` for reading the bytes back). */
  readonly protocol: CompiledProtocol;
}

/**
 * Compiles the arena definition (default: the embedded copy of
 * `examples/protocols/arena.json`) and returns an encoder for simulator
 * datagrams. The bytes come from `compileProtocol(definition).encodeDatagram`,
 * the same code that decodes them.
 */
export function createArenaEncoder(definition: unknown = ARENA_DEFINITION, mode: "compiled" | "interpreted" = "compiled"): ArenaEncoder {
  const protocol = compileProtocol(definition, { mode });
  return {
    protocol,
    encodeDatagram(datagram: ArenaDatagram): Uint8Array {
      return protocol.encodeDatagram(datagram.messages as unknown as readonly MessageToEncode[], {
        header: {
          ...(datagram.header.protocolId === undefined ? {} : { protocolId: datagram.header.protocolId }),
          sequence: datagram.header.sequence,
          ack: datagram.header.ack,
          ackBits: datagram.header.ackBits,
          sendTimeUs: datagram.header.sendTimeUs,
        },
      });
    },
  };
}
