import type { JitterDistribution } from "./distributions.js";
import { invalidOption } from "./errors.js";
import { gilbertElliottStationaryLoss } from "./gilbert-elliott.js";
import { propagationDelayMs, type NetworkProfile } from "./profiles.js";

/** Which access-link direction a command emulates. */
export type LinkDirection = "uplink" | "downlink";

/** Options of {@link toNetemCommand}. */
export interface NetemCommandOptions {
  /** Network device, default `eth0`. */
  device?: string;
  /** Direction whose capacity becomes the netem `rate`, default `downlink`. */
  direction?: LinkDirection;
  /** Great-circle distance to emulate, km (default: the profile's `typicalPathKm`). */
  distanceKm?: number;
  /** Verb: `add` (default), `change` or `replace`. */
  verb?: "add" | "change" | "replace";
}

const NETEM_DISTRIBUTION: Record<JitterDistribution, string> = {
  normal: "normal",
  pareto: "pareto",
  // netem ships no exponential table; paretonormal is its closest right-skewed shape.
  exponential: "paretonormal",
};

function formatNumber(value: number): string {
  const rounded = Number(value.toPrecision(10));
  return String(rounded);
}

function formatPercent(probability: number): string {
  return `${formatNumber(probability * 100)}%`;
}

function formatRate(bitsPerSecond: number): string {
  if (bitsPerSecond % 1e9 === 0) return `${bitsPerSecond / 1e9}gbit`;
  if (bitsPerSecond % 1e6 === 0) return `${bitsPerSecond / 1e6}mbit`;
  if (bitsPerSecond % 1e3 === 0) return `${bitsPerSecond / 1e3}kbit`;
  return `${formatNumber(bitsPerSecond)}bit`;
}

/**
 * Renders a profile as a Linux `tc qdisc … netem` command for one direction:
 * `delay` (access + propagation) with jitter and distribution, `loss gemodel
 * p r 1-h 1-k`, `reorder`, `duplicate`, `rate` and `limit`. netem cannot
 * express the profile's `reorderDelayMs` (netem reorders by sending early) nor
 * an exponential table (it uses `paretonormal`, which {@link parseNetem} maps back).
 */
export function toNetemCommand(profile: NetworkProfile, options: NetemCommandOptions = {}): string {
  const device = options.device ?? "eth0";
  const direction = options.direction ?? "downlink";
  const distanceKm = options.distanceKm ?? profile.typicalPathKm;
  const delayMs = profile.accessDelayMs + propagationDelayMs(distanceKm, profile.routeStretch);
  const parts = [`tc qdisc ${options.verb ?? "add"} dev ${device} root netem`, `delay ${formatNumber(delayMs)}ms`];
  if (profile.jitterMs > 0) parts.push(`${formatNumber(profile.jitterMs)}ms distribution ${NETEM_DISTRIBUTION[profile.jitterDistribution]}`);
  const { p, r, h, k } = profile.loss;
  if (gilbertElliottStationaryLoss(profile.loss) > 0) {
    parts.push(`loss gemodel ${formatPercent(p)} ${formatPercent(r)} ${formatPercent(1 - h)} ${formatPercent(1 - k)}`);
  }
  if (profile.reorderProbability > 0) parts.push(`reorder ${formatPercent(profile.reorderProbability)}`);
  if (profile.duplicateProbability > 0) parts.push(`duplicate ${formatPercent(profile.duplicateProbability)}`);
  parts.push(`rate ${formatRate(direction === "uplink" ? profile.uplinkBitsPerSecond : profile.downlinkBitsPerSecond)}`);
  parts.push(`limit ${profile.queueLimitPackets}`);
  return parts.join(" ");
}

const TIME_UNITS_MS: Record<string, number> = { s: 1000, sec: 1000, secs: 1000, ms: 1, msec: 1, msecs: 1, us: 0.001, usec: 0.001, usecs: 0.001, ns: 1e-6, nsec: 1e-6 };
const RATE_UNITS_BPS: Record<string, number> = {
  bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12,
  kibit: 1024, mibit: 1048576, gibit: 1073741824,
  bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9,
};

function parseTimeMs(token: string | undefined, context: string): number {
  const match = token === undefined ? null : /^([0-9]*\.?[0-9]+)([a-z]*)$/i.exec(token);
  if (match === null) invalidOption(`netem.${context}`, `expected a time such as 20ms, got ${JSON.stringify(token)}`);
  const unit = match[2].toLowerCase() || "us";
  const factor = TIME_UNITS_MS[unit];
  if (factor === undefined) invalidOption(`netem.${context}`, `unknown time unit "${unit}"`);
  return Number(match[1]) * factor;
}

function parseProbability(token: string | undefined, context: string): number {
  const match = token === undefined ? null : /^([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)(%?)$/i.exec(token);
  if (match === null) invalidOption(`netem.${context}`, `expected a percentage such as 1%, got ${JSON.stringify(token)}`);
  const value = Number(match[1]) / 100;
  if (value > 1) invalidOption(`netem.${context}`, `percentage above 100%: ${token}`);
  return value;
}

function parseRate(token: string | undefined): number {
  const match = token === undefined ? null : /^([0-9]*\.?[0-9]+)([a-z]*)$/i.exec(token);
  if (match === null) invalidOption("netem.rate", `expected a rate such as 10mbit, got ${JSON.stringify(token)}`);
  const unit = match[2].toLowerCase() || "bit";
  const factor = RATE_UNITS_BPS[unit];
  if (factor === undefined) invalidOption("netem.rate", `unknown rate unit "${unit}"`);
  return Number(match[1]) * factor;
}

const isPercentToken = (token: string | undefined): boolean => token !== undefined && /^[0-9]*\.?[0-9]+(?:e-?[0-9]+)?%$/i.test(token);
const isTimeToken = (token: string | undefined): boolean => token !== undefined && /^[0-9]*\.?[0-9]+[a-z]+$/i.test(token) && !/%$/.test(token);

/**
 * Parses a netem command line (`tc qdisc add dev eth0 root netem delay 30ms
 * 5ms distribution normal loss gemodel 1% 30% …`) or just its netem arguments
 * into a profile (geography zero: the whole delay becomes `accessDelayMs`;
 * `rate` sets both directions; missing `limit` is netem's default 1000).
 * Supports `delay`, `distribution`, `loss [random] P` and `loss gemodel`,
 * `reorder`, `duplicate`, `rate`, `limit`; correlation values are accepted and
 * ignored; `corrupt`, `slot`, `ecn`, `seed` are skipped; anything else is `E_INVALID_OPTION`.
 */
export function parseNetem(text: string, name = "netem"): NetworkProfile {
  const tokens = text.trim().split(/\s+/).filter((token) => token.length > 0);
  const start = tokens.indexOf("netem");
  let index = start >= 0 ? start + 1 : 0;
  const profile: NetworkProfile = {
    name,
    description: `parsed from netem: ${tokens.slice(index).join(" ")}`,
    accessDelayMs: 0,
    typicalPathKm: 0,
    routeStretch: 1,
    jitterMs: 0,
    jitterDistribution: "normal",
    loss: { p: 0, r: 1, h: 0, k: 1 },
    reorderProbability: 0,
    reorderDelayMs: 0,
    duplicateProbability: 0,
    uplinkBitsPerSecond: 1e10,
    downlinkBitsPerSecond: 1e10,
    queueLimitPackets: 1000,
  };
  const skipCorrelation = (): void => {
    if (isPercentToken(tokens[index])) index++;
  };
  while (index < tokens.length) {
    const keyword = tokens[index++];
    switch (keyword) {
      case "delay": {
        profile.accessDelayMs = parseTimeMs(tokens[index++], "delay");
        if (isTimeToken(tokens[index])) {
          profile.jitterMs = parseTimeMs(tokens[index++], "jitter");
          skipCorrelation();
        }
        break;
      }
      case "distribution": {
        const distribution = tokens[index++];
        if (distribution === "normal") profile.jitterDistribution = "normal";
        else if (distribution === "pareto") profile.jitterDistribution = "pareto";
        else if (distribution === "paretonormal" || distribution === "exponential") profile.jitterDistribution = "exponential";
        else invalidOption("netem.distribution", `unsupported distribution ${JSON.stringify(distribution)}`);
        break;
      }
      case "loss": {
        if (tokens[index] === "gemodel") {
          index++;
          const p = parseProbability(tokens[index++], "loss.p");
          const r = isPercentToken(tokens[index]) ? parseProbability(tokens[index++], "loss.r") : 1 - p;
          const badLoss = isPercentToken(tokens[index]) ? parseProbability(tokens[index++], "loss.1-h") : 1;
          const goodLoss = isPercentToken(tokens[index]) ? parseProbability(tokens[index++], "loss.1-k") : 0;
          profile.loss = { p, r, h: 1 - badLoss, k: 1 - goodLoss };
        } else if (tokens[index] === "state") {
          invalidOption("netem.loss", "the 4-state Markov loss model is not supported; use gemodel");
        } else {
          if (tokens[index] === "random") index++;
          const rate = parseProbability(tokens[index++], "loss");
          profile.loss = { p: rate, r: 1 - rate, h: 0, k: 1 };
          skipCorrelation();
        }
        break;
      }
      case "reorder":
        profile.reorderProbability = parseProbability(tokens[index++], "reorder");
        profile.reorderDelayMs = Math.max(profile.accessDelayMs, 1);
        skipCorrelation();
        break;
      case "duplicate":
        profile.duplicateProbability = parseProbability(tokens[index++], "duplicate");
        skipCorrelation();
        break;
      case "rate": {
        const bitsPerSecond = parseRate(tokens[index++]);
        profile.uplinkBitsPerSecond = bitsPerSecond;
        profile.downlinkBitsPerSecond = bitsPerSecond;
        break;
      }
      case "limit": {
        const limit = Number(tokens[index++]);
        if (!Number.isInteger(limit) || limit < 1) invalidOption("netem.limit", "expected a positive integer");
        profile.queueLimitPackets = limit;
        break;
      }
      case "corrupt":
        index++;
        skipCorrelation();
        break;
      case "slot":
      case "ecn":
      case "seed":
        while (index < tokens.length && !/^[a-z]+$/.test(tokens[index])) index++;
        break;
      default:
        invalidOption("netem", `unsupported netem keyword ${JSON.stringify(keyword)}`);
    }
  }
  return profile;
}

/** Settings for clumsy (jagt/clumsy, Windows), mirroring its GUI modules. */
export interface ClumsySettings {
  /** WinDivert filter expression. */
  filter: string;
  /** Lag module: fixed delay in ms (clumsy has no jitter; the mean jitter is folded in). */
  lag: { enabled: boolean; delayMs: number };
  /** Drop module: independent drop chance in percent (the profile's stationary loss). */
  drop: { enabled: boolean; chancePercent: number };
  /** Duplicate module. */
  duplicate: { enabled: boolean; count: number; chancePercent: number };
  /** Out-of-order module. */
  outOfOrder: { enabled: boolean; chancePercent: number };
  /** Bandwidth module: limit in kilobytes per second. */
  bandwidth: { enabled: boolean; limitKilobytesPerSecond: number };
  /** The equivalent `clumsy.exe` command line. */
  commandLine: string;
}

/** Options of {@link toClumsySettings}. */
export interface ClumsyOptions {
  /** WinDivert filter, default `udp`. */
  filter?: string;
  /** Direction whose capacity becomes the bandwidth limit, default `downlink`. */
  direction?: LinkDirection;
  /** Great-circle distance to emulate, km (default: the profile's `typicalPathKm`). */
  distanceKm?: number;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Maps a profile onto clumsy's modules. clumsy drops independently (no
 * bursts) and delays by a constant, so the mapping keeps the mean delay and the
 * long-run loss rate but not burstiness or jitter shape.
 */
export function toClumsySettings(profile: NetworkProfile, options: ClumsyOptions = {}): ClumsySettings {
  const filter = options.filter ?? "udp";
  const distanceKm = options.distanceKm ?? profile.typicalPathKm;
  const meanJitterMs = profile.jitterDistribution === "normal" ? 0 : profile.jitterMs;
  const delayMs = Math.round(profile.accessDelayMs + propagationDelayMs(distanceKm, profile.routeStretch) + meanJitterMs);
  const lossPercent = round2(gilbertElliottStationaryLoss(profile.loss) * 100);
  const bitsPerSecond = (options.direction ?? "downlink") === "uplink" ? profile.uplinkBitsPerSecond : profile.downlinkBitsPerSecond;
  const limitKilobytesPerSecond = Math.max(1, Math.round(bitsPerSecond / 8 / 1000));
  const duplicatePercent = round2(profile.duplicateProbability * 100);
  const outOfOrderPercent = round2(profile.reorderProbability * 100);
  const settings: Omit<ClumsySettings, "commandLine"> = {
    filter,
    lag: { enabled: delayMs > 0, delayMs },
    drop: { enabled: lossPercent > 0, chancePercent: lossPercent },
    duplicate: { enabled: duplicatePercent > 0, count: 2, chancePercent: duplicatePercent },
    outOfOrder: { enabled: outOfOrderPercent > 0, chancePercent: outOfOrderPercent },
    bandwidth: { enabled: true, limitKilobytesPerSecond },
  };
  const args = [`clumsy.exe --filter "${filter}"`];
  if (settings.lag.enabled) args.push(`--lag on --lag-time ${delayMs}`);
  if (settings.drop.enabled) args.push(`--drop on --drop-chance ${lossPercent}`);
  if (settings.duplicate.enabled) args.push(`--duplicate on --duplicate-count 2 --duplicate-chance ${duplicatePercent}`);
  if (settings.outOfOrder.enabled) args.push(`--ood on --ood-chance ${outOfOrderPercent}`);
  args.push(`--bandwidth on --bandwidth-bandwidth ${limitKilobytesPerSecond}`);
  return { ...settings, commandLine: args.join(" ") };
}
