import { Type, type Static } from "@sinclair/typebox";

/** The cost of applying a recommendation. */
export const RecommendationCostSchema = Type.Object({
  bytesPerSecond: Type.Optional(Type.Number()),
  addedDelayMs: Type.Optional(Type.Number()),
  maxError: Type.Optional(Type.Number()),
  note: Type.Optional(Type.String()),
});

/** The cost of applying a recommendation. */
export type RecommendationCost = Static<typeof RecommendationCostSchema>;

/**
 * A change the user can make, with the measured before/after of the metric it
 * moves. `verified` is true only when `after` was measured (re-encoding,
 * re-simulation), never when estimated.
 */
export const RecommendationSchema = Type.Object({
  id: Type.String(),
  analysis: Type.String(),
  kind: Type.String(),
  title: Type.String(),
  metric: Type.String({ description: "what before/after measure, with unit in the name" }),
  before: Type.Number(),
  after: Type.Number(),
  verified: Type.Boolean(),
  method: Type.String({ description: "how `after` was obtained" }),
  cost: RecommendationCostSchema,
  session: Type.Optional(Type.String()),
});

/** A change the user can make, with the measured before/after of the metric it moves. */
export type Recommendation = Static<typeof RecommendationSchema>;
