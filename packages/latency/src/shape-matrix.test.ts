import { describe, expect, it } from "vitest";
import { formatLatencyShapeMatrix, MATRIX_PROFILES, matrixEvents, runLatencyShapeMatrix, SHAPE_NAMES, type LatencyShapeRow } from "./test-support/shape-matrix.js";

/**
 * The protocol-shape matrix on a reduced grid (bench/evaluate.ts runs the full one): every shape
 * of issue 14 on its own network profile (4g and wifi-congested included), one 40-s match through
 * the real pipeline (simulator → the shape's definition → pcapng → capture → core's decoder →
 * analyzer) with a shared-path delay on three players, a last-mile delay, cross traffic where the
 * profile's queue can hold it, a loss burst and a server stall. Floor on every shape: spike
 * precision ≥ 90% (a spike is right when it overlaps an injected change, or a real excursion of
 * the truth's delays); the injected changes are found.
 */
const PROFILE_OF: Record<(typeof SHAPE_NAMES)[number], string> = {
  arena: "wifi-congested",
  "le-wrapping-clock": "cable",
  "channel-acks": "4g",
  "combined-command": "5g",
  "tick-clock": "dsl",
  "aead-sequence64": "fibre",
  "redundant-inputs": "intercontinental",
};
const rows: LatencyShapeRow[] = [];

describe("protocol-shape matrix (reduced grid, floors per shape)", () => {
  it.each(SHAPE_NAMES)("%s: spike precision >= 90%, injected changes found, no latency anomaly", async (shape) => {
    const [row] = await runLatencyShapeMatrix({ shapes: [shape], profiles: [PROFILE_OF[shape]], seeds: [2], durationMs: 40_000 });
    rows.push(row!);
    expect(row!.injected).toBeGreaterThanOrEqual(4);
    expect(row!.precision, row!.falsePositives.join("\n")).toBeGreaterThanOrEqual(0.9);
    // Known gap (recall has no floor in issue 14): on fibre the server's ack turnaround (its wait for
    // the next send) is longer than the network RTT, so core's headline rule takes it for the network
    // direction; the dense ack series then disagrees with the 1-Hz echo headline and is not followed,
    // and 1-Hz echoes show no 1–2-s spike (README, protocol-shape matrix).
    if (PROFILE_OF[shape] !== "fibre") expect(row!.recall, row!.misses.join("\n")).toBeGreaterThanOrEqual(0.75);
    expect(row!.anomalies).toEqual({});
  }, 120_000);

  it("covers the profiles and prints the matrix", () => {
    expect(new Set(Object.values(PROFILE_OF)).size).toBe(SHAPE_NAMES.length);
    for (const profile of Object.values(PROFILE_OF)) expect(MATRIX_PROFILES).toContain(profile);
    const table = formatLatencyShapeMatrix(rows);
    console.log(table);
    expect(table.split("\n")).toHaveLength(2 + rows.length);
  });
});

describe("injected events of a matrix match", () => {
  it("injects cross traffic only where the profile's queue can build ≥ 40 ms, and a route change only in long matches", () => {
    const kinds = (profile: string, durationMs: number): string[] => matrixEvents(profile, durationMs, 1).events.map((event) => event.kind);
    expect(kinds("fibre", 60_000)).not.toContain("queueBuildup");
    expect(kinds("4g", 60_000)).toContain("queueBuildup");
    expect(kinds("4g", 60_000)).toContain("routeChange");
    expect(kinds("4g", 40_000)).not.toContain("routeChange");
    const { events, specs, stalls } = matrixEvents("cable", 60_000, 3);
    expect(specs.length).toBe(events.filter((event) => event.kind !== "tickStall").length);
    expect(stalls).toHaveLength(1);
    expect(events.filter((event) => !event.changesRtt).map((event) => event.kind)).toEqual(["lossBurst", "tickStall"]);
  });
});
