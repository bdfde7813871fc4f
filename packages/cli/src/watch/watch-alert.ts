/** Kinds of alert `tickscope watch` emits. */
export type WatchAlertKind = "latencySpike" | "lossBurst" | "cheatSuspicion";

/** Alert kinds, in documentation order. */
export const WATCH_ALERT_KINDS: readonly WatchAlertKind[] = ["latencySpike", "lossBurst", "cheatSuspicion"];

/**
 * One NDJSON line of `tickscope watch`: what happened, in which session, when it
 * started (`tUs`) and when the watcher knew it (`detectedAtUs`, the capture time
 * of the packet that confirmed it). Both are capture time, µs since the epoch.
 */
export interface WatchAlert {
  /** Alert kind. */
  alert: WatchAlertKind;
  /** Session id. */
  session: string;
  /** Estimated start of the event, capture time (µs). */
  tUs: number;
  /** Capture time of the packet that confirmed the event (µs). */
  detectedAtUs: number;
  /** Measured values (units in the names). */
  values: Record<string, number | string>;
  /** One human line. */
  summary: string;
  /** Wireshark frame numbers (1-based) of packets that show the event (anticheat evidence), when there are any. */
  frameNumbers?: number[];
}

/** Rounds a measured value for an alert (3 decimals; keeps JSON short and stable). */
export function roundValue(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Serializes an alert as one NDJSON line (with the trailing newline), keys in a fixed order; times in whole µs. */
export function formatAlertLine(alert: WatchAlert): string {
  return `${JSON.stringify({
    alert: alert.alert,
    session: alert.session,
    tUs: Math.round(alert.tUs),
    detectedAtUs: Math.round(alert.detectedAtUs),
    values: alert.values,
    summary: alert.summary,
    ...(alert.frameNumbers === undefined ? {} : { frameNumbers: alert.frameNumbers }),
  })}\n`;
}
