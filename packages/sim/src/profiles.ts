import { JITTER_DISTRIBUTIONS, type JitterDistribution } from "./distributions.js";
import { checkNumber, invalidOption } from "./errors.js";
import { gilbertElliottFromLossAndBurst, type GilbertElliottParameters } from "./gilbert-elliott.js";

/**
 * A network access profile: what one player's path adds on top of geography,
 * per direction. Delays are one-way. Loss is a Gilbert–Elliott process per
 * direction. The bottleneck is the access link (uplink for client → server,
 * downlink for server → client) with a FIFO queue sized in MTU-sized packets.
 */
export interface NetworkProfile {
  /** Profile name (e.g. `4g`). */
  name: string;
  /** Human description. */
  description: string;
  /** Fixed one-way delay of the access network (last mile, radio scheduling), ms. */
  accessDelayMs: number;
  /** Great-circle distance assumed when a player has no coordinates, km. */
  typicalPathKm: number;
  /** Ratio of the routed fibre path to the great-circle distance (≥ 1). */
  routeStretch: number;
  /** Jitter scale, ms (standard deviation for `normal`, mean for `exponential`/`pareto`). */
  jitterMs: number;
  /** Jitter distribution. */
  jitterDistribution: JitterDistribution;
  /** Gilbert–Elliott loss parameters (same for both directions). */
  loss: GilbertElliottParameters;
  /** Probability that a packet is reordered (held back by {@link NetworkProfile.reorderDelayMs}). */
  reorderProbability: number;
  /** Extra delay of a reordered packet, ms. */
  reorderDelayMs: number;
  /** Probability that a packet is duplicated. */
  duplicateProbability: number;
  /** Uplink (client → server) bottleneck capacity, bits per second. */
  uplinkBitsPerSecond: number;
  /** Downlink (server → client) bottleneck capacity, bits per second. */
  downlinkBitsPerSecond: number;
  /** Bottleneck queue size in MTU-sized (1500-byte) packets; a fuller queue tail-drops. */
  queueLimitPackets: number;
}

/** Bytes per queue slot used to convert {@link NetworkProfile.queueLimitPackets} to a byte limit. */
export const QUEUE_SLOT_BYTES = 1500;

/** Speed of light in fibre, km per ms (≈ c / 1.47). */
export const FIBRE_KM_PER_MS = 200;

const MEGABIT = 1_000_000;

function profile(
  name: string,
  description: string,
  values: Omit<NetworkProfile, "name" | "description" | "loss"> & { lossRate: number; meanBurstPackets: number },
): NetworkProfile {
  const { lossRate, meanBurstPackets, ...rest } = values;
  return { name, description, ...rest, loss: gilbertElliottFromLossAndBurst(lossRate, meanBurstPackets) };
}

/**
 * Built-in profiles with typical residential/mobile numbers (one-way access
 * delay, jitter, loss rate and burstiness, capacity, buffer). The README has the table.
 */
export const PROFILES: Readonly<Record<string, NetworkProfile>> = Object.freeze({
  fibre: profile("fibre", "FTTH: low fixed delay, tiny jitter, rare single losses", {
    accessDelayMs: 1.5, typicalPathKm: 300, routeStretch: 1.3, jitterMs: 0.3, jitterDistribution: "normal",
    lossRate: 0.0005, meanBurstPackets: 1.2, reorderProbability: 0, reorderDelayMs: 0, duplicateProbability: 0,
    uplinkBitsPerSecond: 300 * MEGABIT, downlinkBitsPerSecond: 1000 * MEGABIT, queueLimitPackets: 100,
  }),
  cable: profile("cable", "DOCSIS cable: request-grant upstream jitter, bufferbloat-prone modem", {
    accessDelayMs: 7, typicalPathKm: 500, routeStretch: 1.4, jitterMs: 2, jitterDistribution: "normal",
    lossRate: 0.002, meanBurstPackets: 1.5, reorderProbability: 0.0001, reorderDelayMs: 4, duplicateProbability: 0,
    uplinkBitsPerSecond: 20 * MEGABIT, downlinkBitsPerSecond: 200 * MEGABIT, queueLimitPackets: 300,
  }),
  dsl: profile("dsl", "ADSL2+: interleaving delay, low uplink", {
    accessDelayMs: 14, typicalPathKm: 500, routeStretch: 1.4, jitterMs: 2.5, jitterDistribution: "normal",
    lossRate: 0.005, meanBurstPackets: 2, reorderProbability: 0, reorderDelayMs: 0, duplicateProbability: 0,
    uplinkBitsPerSecond: 1 * MEGABIT, downlinkBitsPerSecond: 16 * MEGABIT, queueLimitPackets: 100,
  }),
  "4g": profile("4g", "LTE: scheduling delay, heavy-tailed jitter, bursty loss", {
    accessDelayMs: 25, typicalPathKm: 800, routeStretch: 1.6, jitterMs: 8, jitterDistribution: "pareto",
    lossRate: 0.01, meanBurstPackets: 3, reorderProbability: 0.002, reorderDelayMs: 10, duplicateProbability: 0.0002,
    uplinkBitsPerSecond: 10 * MEGABIT, downlinkBitsPerSecond: 40 * MEGABIT, queueLimitPackets: 400,
  }),
  "5g": profile("5g", "5G NR (sub-6 GHz): lower delay than LTE, exponential jitter", {
    accessDelayMs: 9, typicalPathKm: 500, routeStretch: 1.5, jitterMs: 3, jitterDistribution: "exponential",
    lossRate: 0.003, meanBurstPackets: 2, reorderProbability: 0.001, reorderDelayMs: 5, duplicateProbability: 0.0001,
    uplinkBitsPerSecond: 50 * MEGABIT, downlinkBitsPerSecond: 300 * MEGABIT, queueLimitPackets: 300,
  }),
  "wifi-congested": profile("wifi-congested", "Busy 2.4 GHz Wi-Fi: retries, heavy-tailed jitter, bursty loss", {
    accessDelayMs: 6, typicalPathKm: 300, routeStretch: 1.4, jitterMs: 15, jitterDistribution: "pareto",
    lossRate: 0.03, meanBurstPackets: 4, reorderProbability: 0.005, reorderDelayMs: 8, duplicateProbability: 0.001,
    uplinkBitsPerSecond: 6 * MEGABIT, downlinkBitsPerSecond: 12 * MEGABIT, queueLimitPackets: 150,
  }),
  intercontinental: profile("intercontinental", "Good access, server on another continent (≈ 9,000 km)", {
    accessDelayMs: 5, typicalPathKm: 9000, routeStretch: 1.5, jitterMs: 3, jitterDistribution: "normal",
    lossRate: 0.005, meanBurstPackets: 1.5, reorderProbability: 0.0005, reorderDelayMs: 3, duplicateProbability: 0,
    uplinkBitsPerSecond: 100 * MEGABIT, downlinkBitsPerSecond: 100 * MEGABIT, queueLimitPackets: 200,
  }),
});

/** Names of the built-in profiles, sorted. */
export const PROFILE_NAMES: readonly string[] = Object.keys(PROFILES).sort();

/** One-way propagation delay in ms over `distanceKm` of great circle with a route stretch. */
export function propagationDelayMs(distanceKm: number, routeStretch: number): number {
  return (distanceKm * routeStretch) / FIBRE_KM_PER_MS;
}

/** Fixed one-way delay of a profile at its typical distance (no jitter, no queueing), ms. */
export function profileBaseDelayMs(profile: NetworkProfile): number {
  return profile.accessDelayMs + propagationDelayMs(profile.typicalPathKm, profile.routeStretch);
}

/** Returns the built-in profile `name`; throws `E_INVALID_OPTION` listing the known names. */
export function getProfile(name: string): NetworkProfile {
  const found = Object.prototype.hasOwnProperty.call(PROFILES, name) ? PROFILES[name] : undefined;
  if (found === undefined) invalidOption("profile", `unknown profile "${name}" (known: ${PROFILE_NAMES.join(", ")})`);
  return found;
}

/**
 * JSON Schema of a profile document (for editors and `--profile file.json`).
 * Every field except `name` is optional and defaults to the `base` profile
 * (a built-in name, default `fibre`); `loss` may be given as
 * `{ p, r, h?, k? }` or as `{ rate, meanBurstPackets }`.
 */
export const NETWORK_PROFILE_JSON_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "tickscope network profile",
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: { type: "string", minLength: 1 },
    base: { type: "string", enum: Object.keys(PROFILES) },
    description: { type: "string" },
    accessDelayMs: { type: "number", minimum: 0, maximum: 10000 },
    typicalPathKm: { type: "number", minimum: 0, maximum: 20040 },
    routeStretch: { type: "number", minimum: 1, maximum: 10 },
    jitterMs: { type: "number", minimum: 0, maximum: 10000 },
    jitterDistribution: { type: "string", enum: [...JITTER_DISTRIBUTIONS] },
    loss: {
      oneOf: [
        { type: "object", required: ["p", "r"], properties: { p: { type: "number", minimum: 0, maximum: 1 }, r: { type: "number", minimum: 0, maximum: 1 }, h: { type: "number", minimum: 0, maximum: 1 }, k: { type: "number", minimum: 0, maximum: 1 } } },
        { type: "object", required: ["rate"], properties: { rate: { type: "number", minimum: 0, maximum: 0.99 }, meanBurstPackets: { type: "number", minimum: 1 } } },
      ],
    },
    reorderProbability: { type: "number", minimum: 0, maximum: 1 },
    reorderDelayMs: { type: "number", minimum: 0, maximum: 10000 },
    duplicateProbability: { type: "number", minimum: 0, maximum: 1 },
    uplinkBitsPerSecond: { type: "number", minimum: 1000 },
    downlinkBitsPerSecond: { type: "number", minimum: 1000 },
    queueLimitPackets: { type: "integer", minimum: 1, maximum: 100000 },
  },
} as const;

const NUMERIC_LIMITS: Record<string, readonly [number, number]> = {
  accessDelayMs: [0, 10000],
  typicalPathKm: [0, 20040],
  routeStretch: [1, 10],
  jitterMs: [0, 10000],
  reorderProbability: [0, 1],
  reorderDelayMs: [0, 10000],
  duplicateProbability: [0, 1],
  uplinkBitsPerSecond: [1000, 1e12],
  downlinkBitsPerSecond: [1000, 1e12],
  queueLimitPackets: [1, 100000],
};

/**
 * Validates a JSON profile document against {@link NETWORK_PROFILE_JSON_SCHEMA}
 * and returns a complete profile. Errors are `E_INVALID_OPTION` with the JSON path.
 */
export function parseNetworkProfile(document: unknown): NetworkProfile {
  if (typeof document !== "object" || document === null || Array.isArray(document)) invalidOption("profile", "expected an object");
  const input = document as Record<string, unknown>;
  const known = new Set(Object.keys(NETWORK_PROFILE_JSON_SCHEMA.properties));
  for (const key of Object.keys(input)) if (!known.has(key)) invalidOption(`profile.${key}`, "unknown property");
  if (typeof input.name !== "string" || input.name.length === 0) invalidOption("profile.name", "expected a non-empty string");
  const baseName = input.base === undefined ? "fibre" : input.base;
  if (typeof baseName !== "string") invalidOption("profile.base", "expected a profile name");
  const base = getProfile(baseName);
  const result: NetworkProfile = { ...base, loss: { ...base.loss }, name: input.name };
  result.description = typeof input.description === "string" ? input.description : `custom profile based on ${base.name}`;
  for (const [key, [minimum, maximum]] of Object.entries(NUMERIC_LIMITS)) {
    if (input[key] === undefined) continue;
    const value = checkNumber(`profile.${key}`, input[key], minimum, maximum);
    if (key === "queueLimitPackets" && !Number.isInteger(value)) invalidOption("profile.queueLimitPackets", "expected an integer");
    (result as unknown as Record<string, number>)[key] = value;
  }
  if (input.jitterDistribution !== undefined) {
    if (!JITTER_DISTRIBUTIONS.includes(input.jitterDistribution as JitterDistribution)) {
      invalidOption("profile.jitterDistribution", `expected one of ${JITTER_DISTRIBUTIONS.join(", ")}`);
    }
    result.jitterDistribution = input.jitterDistribution as JitterDistribution;
  }
  if (input.loss !== undefined) result.loss = parseLoss(input.loss);
  return result;
}

function parseLoss(value: unknown): GilbertElliottParameters {
  if (typeof value !== "object" || value === null) invalidOption("profile.loss", "expected an object");
  const loss = value as Record<string, unknown>;
  if (loss.rate !== undefined) {
    const rate = checkNumber("profile.loss.rate", loss.rate, 0, 0.99);
    const burst = loss.meanBurstPackets === undefined ? 1 : checkNumber("profile.loss.meanBurstPackets", loss.meanBurstPackets, 1, 1e6);
    return gilbertElliottFromLossAndBurst(rate, burst);
  }
  return {
    p: checkNumber("profile.loss.p", loss.p, 0, 1),
    r: checkNumber("profile.loss.r", loss.r, 0, 1),
    h: loss.h === undefined ? 0 : checkNumber("profile.loss.h", loss.h, 0, 1),
    k: loss.k === undefined ? 1 : checkNumber("profile.loss.k", loss.k, 0, 1),
  };
}

/** Resolves a profile given as a built-in name, a complete profile, or a JSON profile document. */
export function resolveProfile(profile: string | NetworkProfile | Record<string, unknown>): NetworkProfile {
  if (typeof profile === "string") return getProfile(profile);
  if (isCompleteProfile(profile)) return profile;
  return parseNetworkProfile(profile);
}

function isCompleteProfile(value: unknown): value is NetworkProfile {
  const candidate = value as Partial<NetworkProfile>;
  return (
    typeof candidate.name === "string" &&
    typeof candidate.accessDelayMs === "number" &&
    typeof candidate.loss === "object" &&
    typeof candidate.queueLimitPackets === "number" &&
    typeof candidate.jitterDistribution === "string" &&
    typeof candidate.uplinkBitsPerSecond === "number" &&
    typeof candidate.downlinkBitsPerSecond === "number"
  );
}

/** Serializes a profile to the JSON profile document form (stable key order). */
export function profileToJson(profile: NetworkProfile): Record<string, unknown> {
  return {
    name: profile.name,
    description: profile.description,
    accessDelayMs: profile.accessDelayMs,
    typicalPathKm: profile.typicalPathKm,
    routeStretch: profile.routeStretch,
    jitterMs: profile.jitterMs,
    jitterDistribution: profile.jitterDistribution,
    loss: { p: profile.loss.p, r: profile.loss.r, h: profile.loss.h, k: profile.loss.k },
    reorderProbability: profile.reorderProbability,
    reorderDelayMs: profile.reorderDelayMs,
    duplicateProbability: profile.duplicateProbability,
    uplinkBitsPerSecond: profile.uplinkBitsPerSecond,
    downlinkBitsPerSecond: profile.downlinkBitsPerSecond,
    queueLimitPackets: profile.queueLimitPackets,
  };
}
