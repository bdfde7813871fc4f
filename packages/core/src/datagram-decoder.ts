import type { DecodeAnomaly } from "./analyzer.js";
import type { GameMessage } from "./game-message.js";
import type { Direction } from "./session.js";
import type { TimeUs } from "./time.js";

/** Where a datagram came from: everything a decoder needs besides the bytes. */
export interface DatagramContext {
  /** Session id (see {@link Session}). */
  sessionId: string;
  /** Direction within the session. */
  direction: Direction;
  /** Capture time of the datagram, µs since the Unix epoch. */
  tUs: TimeUs;
  /** Index of the packet (datagram) in the capture. */
  packetIndex: number;
  /** Frame bytes on the wire of the frame(s) that carried the datagram. */
  packetWireLength: number;
}

/**
 * Turns one UDP payload into game messages. Implemented by the compiled
 * protocol decoder (`@tickscope/core/protocol`) and by plugins; run by
 * `@tickscope/capture`. Decoders never throw on bad bytes: they report a
 * {@link DecodeAnomaly} and return, so the next datagram decodes normally.
 */
export interface DatagramDecoder {
  /**
   * Decodes `payload` (a view; copy what you keep), calling `onMessage` for
   * each message in datagram order and `onAnomaly` for each problem.
   */
  decodeDatagram(
    payload: Uint8Array,
    context: DatagramContext,
    onMessage: (message: GameMessage) => void,
    onAnomaly: (anomaly: DecodeAnomaly) => void,
  ): void;
}
