import { Type, type Static } from "@sinclair/typebox";
import { TimeUsSchema } from "./time.js";

/**
 * One game-server log event aligned to capture time: a tick, a `gc_pause`, a
 * player's reported RTT, a region label. Numeric values keep their log names.
 */
export const LogEventSchema = Type.Object({
  tUs: TimeUsSchema,
  type: Type.String(),
  session: Type.Optional(Type.String()),
  player: Type.Optional(Type.String()),
  region: Type.Optional(Type.String()),
  values: Type.Record(Type.String(), Type.Number()),
  labels: Type.Record(Type.String(), Type.String()),
  line: Type.Integer({ minimum: 1, description: "1-based line (NDJSON) or record (CSV) number" }),
});

/** One game-server log event aligned to capture time. */
export type LogEvent = Static<typeof LogEventSchema>;
