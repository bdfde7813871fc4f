import { describe, expect, it } from "vitest";
import { stringifyReport, type GameMessage } from "@tickscope/core";
import { createLossAnalyzer, type LossAnalyzerOptions } from "./loss-analyzer.js";
import type { InputSyncImpact, LossReport, ReliableSyncImpact, StateSyncImpact } from "./report-schema.js";
import { generateStream, mergeStreams } from "./test-support/synthetic.js";

function analyze(messages: GameMessage[], options: LossAnalyzerOptions = {}): LossReport {
  const analyzer = createLossAnalyzer(options);
  for (const message of messages) analyzer.onMessage(message);
  return analyzer.finish();
}

function relativeError(measured: number, truth: number): number {
  return Math.abs(measured - truth) / truth;
}

describe("loss analysis of generated streams with known truth", () => {
  const snapshots = generateStream({
    seed: "snapshots",
    datagrams: 120_000,
    rateHz: 60,
    loss: { p: 0.01, r: 0.3, h: 0, k: 1 },
    reorderProbability: 0.01,
    duplicateProbability: 0.01,
    positions: true,
    messagesPerDatagram: 2,
    direction: "serverToClient",
    messageType: "snapshot",
  });
  const inputs = generateStream({
    seed: "inputs",
    sessionId: "session-1",
    datagrams: 60_000,
    rateHz: 30,
    loss: { p: 0.02, r: 0.5, h: 0, k: 1 },
    inputRedundancy: 1,
    direction: "clientToServer",
    messageType: "input",
    startSequence: 65_000,
  });
  const report = analyze(mergeStreams(snapshots, inputs));

  it("measures the loss rate of each message type within ±0.2 percentage points of truth", () => {
    const snapshotRow = report.sessions.find((row) => row.messageType === "snapshot")!;
    const inputRow = report.sessions.find((row) => row.messageType === "input")!;
    const snapshotTruth = snapshots.truth.lostObservable / snapshots.truth.expectedObservable;
    const inputTruth = inputs.truth.lostObservable / inputs.truth.expectedObservable;
    expect(Math.abs(snapshotRow.lossRate - snapshotTruth)).toBeLessThan(0.002);
    expect(Math.abs(inputRow.lossRate - inputTruth)).toBeLessThan(0.002);
    // Exact, in fact: duplicates and reorders are never loss; the 16-bit wrap is no loss either.
    expect(snapshotRow.lost).toBe(snapshots.truth.lostObservable);
    expect(snapshotRow.expected).toBe(snapshots.truth.expectedObservable);
    expect(inputRow.lost).toBe(inputs.truth.lostObservable);
    expect(snapshotRow.duplicates).toBe(snapshots.truth.duplicates);
    expect(snapshotRow.reordered).toBeGreaterThan(0.9 * snapshots.truth.reordered);
    expect(snapshotRow.resets.count).toBe(0);
    expect(inputRow.resets.count).toBe(0);
  });

  it("fits the injected Gilbert–Elliott parameters within 10%", () => {
    const snapshotRow = report.sessions.find((row) => row.messageType === "snapshot")!;
    const fit = snapshotRow.gilbertElliott!;
    expect(relativeError(fit.p, 0.01)).toBeLessThan(0.1);
    expect(relativeError(fit.r, 0.3)).toBeLessThan(0.1);
    expect(snapshotRow.netem).toMatch(/^loss gemodel [\d.]+% [\d.]+% [\d.]+% [\d.]+%$/);
    // Mean burst 1/r.
    expect(relativeError(snapshotRow.bursts.meanLength, 1 / 0.3)).toBeLessThan(0.1);
    expect(snapshotRow.conditionalLossProbability.afterLoss).toBeCloseTo(0.7, 1);
  });

  it("measures residual input loss exactly and replays redundancy", () => {
    const impact = report.syncImpact.find((entry): entry is InputSyncImpact => entry.kind === "input")!;
    expect(impact.inputsLost).toBe(inputs.truth.inputsLost);
    expect(impact.inputsExpected).toBe(inputs.truth.inputsExpected);
    expect(impact.currentRedundancy).toBe(1);
    // Replay at the current redundancy reproduces the measured residual loss.
    expect(impact.redundancyReplay[0]!.residualInputLossRate).toBeCloseTo(impact.residualInputLossRate, 4);
  });

  it("reports stale state, interpolation-delay exceedances and rubber-banding after loss", () => {
    const state = report.syncImpact.find((entry): entry is StateSyncImpact => entry.kind === "state")!;
    expect(state.nominalUpdateIntervalMs).toBeCloseTo(1000 / 60, 1);
    // Updates after ≥ 6 consecutive losses exceed a 100 ms interpolation delay.
    expect(state.exceedsInterpolationDelay).toBeGreaterThan(0);
    expect(state.staleAfterLossMs.p50).toBeGreaterThan(2 * state.updateIntervalMs.p50 * 0.98);
    expect(state.bufferCoverage[0]!.coveredRate).toBeLessThan(state.bufferCoverage[3]!.coveredRate);
    expect(state.correctionJump!.afterLoss.mean).toBeGreaterThan(state.correctionJump!.baseline.mean);
  });

  it("recommends input redundancy whose predicted residual matches a re-run with the change (±10%)", () => {
    const recommendation = report.recommendations.find((entry) => entry.kind === "inputRedundancy")!;
    expect(recommendation.verified).toBe(true);
    const redundancy = Number(/last (\d+) inputs/.exec(recommendation.title)![1]);
    expect(redundancy).toBeGreaterThan(1);
    const rerun = generateStream({
      seed: "inputs",
      sessionId: "session-1",
      datagrams: 60_000,
      rateHz: 30,
      loss: { p: 0.02, r: 0.5, h: 0, k: 1 },
      inputRedundancy: redundancy,
      direction: "clientToServer",
      messageType: "input",
      startSequence: 65_000,
    });
    const rerunImpact = analyze(mergeStreams(rerun)).syncImpact.find((entry): entry is InputSyncImpact => entry.kind === "input")!;
    const measured = rerunImpact.residualInputLossRate;
    expect(measured).toBeGreaterThan(0);
    expect(relativeError(recommendation.after, measured)).toBeLessThan(0.1);
    expect(recommendation.before).toBeGreaterThan(recommendation.after);
    expect(recommendation.cost.bytesPerSecond).toBeGreaterThan(0);
  });

  it("recommends an interpolation buffer measured on the observed intervals", () => {
    // The default 100 ms (6 snapshots) already rides out 99% of gaps: no recommendation.
    expect(report.recommendations.some((entry) => entry.kind === "interpolationBuffer")).toBe(false);
    const tight = analyze(mergeStreams(snapshots), { interpolationDelayMs: 17, targetBufferCoverage: 0.995 });
    const recommendation = tight.recommendations.find((entry) => entry.kind === "interpolationBuffer")!;
    const state = tight.syncImpact.find((entry): entry is StateSyncImpact => entry.kind === "state")!;
    expect(recommendation.verified).toBe(true);
    expect(recommendation.before).toBe(state.bufferCoverage[0]!.coveredRate);
    expect(recommendation.after).toBeGreaterThanOrEqual(0.995);
    expect(recommendation.before).toBeLessThan(0.995);
    // Independent check: update intervals of in-order arrivals, straight from the generated arrivals.
    const intervals: number[] = [];
    let highest = -1;
    let lastUs = Number.NaN;
    let lastTUs = Number.NaN;
    for (const message of snapshots.messages) {
      if (message.tUs === lastTUs) continue;
      lastTUs = message.tUs;
      let sequence = Number(message.roles.sequence!);
      while (highest >= 0 && sequence < highest - 32768) sequence += 65536;
      if (sequence <= highest) continue;
      highest = sequence;
      if (!Number.isNaN(lastUs)) intervals.push(message.tUs - lastUs);
      lastUs = message.tUs;
    }
    const nominalUs = 1e6 / 60;
    const coverage = (buffer: number) => intervals.filter((interval) => interval <= (buffer + 0.5) * nominalUs).length / intervals.length;
    const buffer = Number(/buffer of (\d+) snapshots/.exec(recommendation.title)![1]);
    expect(recommendation.after).toBeCloseTo(coverage(buffer), 4);
    expect(recommendation.before).toBeCloseTo(coverage(1), 4);
    expect(coverage(buffer - 1)).toBeLessThan(0.995);
    expect(recommendation.cost.addedDelayMs).toBeCloseTo((buffer - 1) * (1000 / 60), 0);
  });

  it("is deterministic", () => {
    expect(stringifyReport(analyze(mergeStreams(snapshots, inputs)))).toBe(stringifyReport(report));
  });
});

describe("generated edge cases", () => {
  it("never turns sequence resets with pauses into phantom loss", () => {
    const stream = generateStream({
      seed: 4,
      datagrams: 5000,
      lostIndices: [100, 101, 2000],
      resets: [
        { atIndex: 1000, newSequence: 0, pauseMs: 3000 },
        { atIndex: 3000, newSequence: 40_000 },
        { atIndex: 4000, newSequence: 12, pauseMs: 50 },
      ],
      positions: true,
    });
    const row = analyze(mergeStreams(stream)).sessions[0]!;
    expect(row.lost).toBe(3);
    expect(row.expected).toBe(stream.truth.expectedObservable);
    expect(row.resets.count).toBe(3);
    expect(row.resets.candidates.map((candidate) => candidate.reason)).toEqual(["restart", "restart", "jump"]);
  });

  it("handles reliable resends: resend counts, retransmission delay and head-of-line stall", () => {
    const stream = generateStream({ seed: 9, datagrams: 3000, lostIndices: [10, 500, 501], resendAfterMs: 120, rateHz: 20, messageType: "event" });
    const report = analyze(mergeStreams(stream));
    const row = report.sessions[0]!;
    expect(row).toMatchObject({ lost: 0, reordered: 3 });
    const reliable = report.syncImpact.find((entry): entry is ReliableSyncImpact => entry.kind === "reliable")!;
    expect(reliable.resends).toBe(3);
    expect(reliable.resendCounts).toEqual([{ resendCount: 1, messages: 3 }]);
    // Lost at send time t, noticed at t + 50 ms (next datagram), filled at t + 120 ms.
    expect(reliable.headOfLineStallMs.count).toBe(3);
    expect(reliable.headOfLineStallMs.max).toBeCloseTo(70, 0);
    expect(reliable.retransmissionDelayMs.count).toBe(3);
  });

  it("recommends moving the type whose losses block an ordered channel, measured on the observed stalls", () => {
    // Reliable ordered stream at 20 Hz: every 10th datagram is chat (resent after 400 ms), the rest are events
    // (resent after 60 ms). 30 chat and 60 event datagrams are lost.
    const lostIndices = [...Array.from({ length: 30 }, (_, index) => index * 100 + 10), ...Array.from({ length: 60 }, (_, index) => index * 50 + 23)];
    const stream = generateStream({
      seed: 12,
      datagrams: 3000,
      rateHz: 20,
      lostIndices,
      messageTypeAt: (index) => (index % 10 === 0 ? "chat" : "event"),
      resendAfterMs: (index) => (index % 10 === 0 ? 400 : 60),
    });
    const report = analyze(mergeStreams(stream));
    const reliable = report.syncImpact.find((entry): entry is ReliableSyncImpact => entry.kind === "reliable")!;
    expect(reliable.headOfLineStallMs.count).toBe(90);
    const recommendation = report.recommendations.find((entry) => entry.kind === "channelSeparation")!;
    expect(recommendation.title).toMatch(/^Move `chat` off the ordered channel/);
    expect(recommendation.verified).toBe(true);
    // Stall = resend arrival − arrival of the next datagram: 400 − 50 = 350 ms for chat, 60 − 50 = 10 ms for events.
    expect(recommendation.before).toBeCloseTo(350, -1);
    expect(recommendation.after).toBeCloseTo(10, 0);
    expect(recommendation.method).toContain("90 observed head-of-line stalls without the 30");
  });

  it("counts duplicate deliveries of reliable messages with their retransmission delay", () => {
    const stream = generateStream({ seed: 2, datagrams: 100, resendAfterMs: 100, duplicateIndices: [5] });
    const messages = mergeStreams(stream);
    const original = messages.find((message) => message.roles.sequence === 5)!;
    messages.push({ ...original, tUs: original.tUs + 80_000, packetIndex: 10_000, roles: { ...original.roles, resendCount: 2 } });
    messages.sort((a, b) => a.tUs - b.tUs);
    const report = analyze(messages);
    const reliable = report.syncImpact.find((entry): entry is ReliableSyncImpact => entry.kind === "reliable")!;
    expect(reliable.duplicateDeliveries).toBe(2);
    expect(reliable.retransmissionDelayMs.max).toBeCloseTo(80, 0);
  });

  it("tracks inputs without a sequence role per direction", () => {
    const stream = generateStream({ seed: 5, datagrams: 1000, inputRedundancy: 3, lostIndices: [10, 11, 12, 13, 500] });
    for (const message of stream.messages) delete message.roles.sequence;
    const report = analyze(mergeStreams(stream));
    const impact = report.syncImpact.find((entry): entry is InputSyncImpact => entry.kind === "input")!;
    expect(impact.inputsLost).toBe(stream.truth.inputsLost);
    expect(impact.inputsLost).toBe(2);
    expect(impact.channel).toBeNull();
    expect(impact.redundancyReplay).toEqual([]);
  });
});
