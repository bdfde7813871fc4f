import type { Finding } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";

const START_US = 1_767_225_600_000_000;

/** A name a hostile capture could carry: markup, a script end tag, quotes and a JS line separator. */
export const HOSTILE_NAME = `</script><img src=x onerror="alert(1)">'\u2028<b>snapshot`;

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A deterministic analyze result with every view of the HTML report filled:
 * `players` sessions with per-second RTT timelines over `durationSeconds`, a
 * shared-path spike at 20 s on every fourth session (a vertical stripe in the
 * heatmap), one bad player (a horizontal stripe), loss streams with gaps, a
 * stacked bandwidth series, flagged players and regions. The message type and
 * one player carry {@link HOSTILE_NAME}.
 */
export function htmlSampleReport(players: number, durationSeconds = 60): AnalyzeResult {
  const random = generator(players * 7919 + durationSeconds);
  const sessions = Array.from({ length: players }, (_, index) => {
    const client = `100.64.${index >> 8}.${index & 255}:${40_000 + index}`;
    const id = `udp:${client}-203.0.113.${10 + (index % 3)}:7777`;
    return { id, client, index };
  });
  const badPlayer = Math.min(players - 1, 2);
  const latencySessions = sessions.map(({ id, client, index }) => {
    const base = 15 + (index % 9) * 6;
    const shared = index % 4 === 0;
    const timeline = Array.from({ length: durationSeconds }, (_, second) => {
      let max = base + random() * 10 + (index === badPlayer ? 120 + random() * 60 : 0);
      if (shared && second >= 20 && second < 22) max = 2100 + random() * 80;
      return { startUs: START_US + second * 1e6, maxMs: Math.round(max * 1000) / 1000, minMs: base - 2, samples: 30 };
    });
    const spikes = shared
      ? [{ startUs: START_US + 20e6, endUs: START_US + 22.15e6, durationMs: 2150, peakMs: 2165, baselineMs: base, levelShift: false, causes: [{ kind: "sharedPath", score: 0.44, lagMs: 0, evidence: {} }], suggestedFix: "escalate the route: many sessions spiked together" }]
      : [];
    return { id, client, method: "ack", rttMs: { samples: 1800, p50: base + 5, p95: base + 12, p99: base + 14, max: base + 20 }, timeline, spikes };
  });
  const lossSessions = sessions.flatMap(({ id, index }) =>
    (["clientToServer", "serverToClient"] as const).map((direction) => {
      const lost = Math.floor(random() * 40) + (index === badPlayer ? 60 : 0);
      const expected = durationSeconds * 30;
      const arrivalGaps = lost === 0 ? [] : [{ tUs: START_US + (5 + Math.floor(random() * (durationSeconds - 10))) * 1e6, skipped: Math.min(lost, 10) }];
      return {
        id, direction, messageType: direction === "clientToServer" ? "input+ping+shot" : `snapshot+${index === 1 ? HOSTILE_NAME : "chat"}`, channel: null,
        expected, lost, lossRate: lost / expected, lossRateInterval: { lower: Math.max(0, lost / expected - 0.004), upper: lost / expected + 0.005 },
        bursts: { maxLength: Math.min(lost, 10) }, arrivalGaps,
      };
    }),
  );
  const typeNames = ["snapshot", "input", "ping", "shot", "chat", "spawn", "death", "score", "voice", HOSTILE_NAME];
  const bandwidthTypes = typeNames.map((type, typeIndex) => ({
    type,
    direction: typeIndex % 2 === 0 ? "serverToClient" : "clientToServer",
    bytesPerSecond: Array.from({ length: durationSeconds }, () => Math.round((players * 4000) / (typeIndex + 1) * (0.8 + random() * 0.4))),
  }));
  const flagged = sessions.filter(({ index }) => index % 10 === 5);
  const anticheatFindings: Finding[] = flagged.map(({ id }, order) => ({
    id: `anticheat.speedhack.${order}`, analysis: "anticheat", kind: "speedhack", severity: "high", startUs: START_US + 10e6, endUs: START_US + 40e6,
    session: id, player: order === 0 ? HOSTILE_NAME : id, confidence: 0.9, summary: "Client clock ran at 1.3× real time in 41 of 41 windows.", evidence: { values: { rate: 1.3 }, packetIndices: [100, 200] },
  }));
  const latencyFindings: Finding[] = latencySessions
    .filter((session) => session.spikes.length > 0)
    .map((session, order) => ({
      id: `latency.spike.${order}`, analysis: "latency", kind: "latencySpike", severity: "critical", startUs: START_US + 20e6, endUs: START_US + 22.15e6,
      session: session.id, summary: `Session ${session.id}: latency spiked from ${session.rttMs.p50} ms to 2165 ms; most likely a shared-path event.`, evidence: { values: { peakMs: 2165 }, packetIndices: [19_484 + order] },
    }));
  // Low and info findings on every seventh session (a long list folds them under the serious ones).
  const minorFindings: Finding[] = sessions
    .filter(({ index }) => index % 7 === 3)
    .map(({ id }, order) => ({
      id: `latency.rttMethodsDisagree.${order}`, analysis: "latency", kind: "rttMethodsDisagree", severity: order % 2 === 0 ? "low" : "info", startUs: START_US + 345_000, endUs: START_US + durationSeconds * 1e6,
      session: id, summary: `Session ${id}: reported RTT (p50 7.0 ms) disagrees with the echo RTT (p50 15.0 ms) by more than 2×.`, evidence: { values: { p50Ratio: 0.467 }, packetIndices: [] },
    }));
  const lossFindings: Finding[] = [{
    id: "loss.highLoss.0", analysis: "loss", kind: "highLoss", severity: "medium", startUs: START_US, endUs: START_US + durationSeconds * 1e6,
    session: sessions[badPlayer]!.id, summary: `${sessions[badPlayer]!.id} lost 5 % of ${HOSTILE_NAME}`, evidence: { values: { lossRate: 0.05 }, packetIndices: [42] },
  }];
  const capture = { file: "match.pcapng", format: "pcapng", packets: players * durationSeconds * 60, bytes: players * durationSeconds * 9000, firstUs: START_US, lastUs: START_US + durationSeconds * 1e6, linkTypes: [1], anomalies: {} };
  return {
    toolVersion: "0.1.0",
    generatedAt: "1970-01-01T00:00:00.000Z",
    inputs: [{ kind: "capture", name: "match.pcapng", bytes: capture.bytes }],
    options: {},
    captures: [capture],
    sessions: sessions.map(({ id, client, index }) => ({
      id, transport: "udp", client: { address: client.split(":")[0]!, port: 40_000 + index }, server: { address: "203.0.113.10", port: 7777 },
      firstUs: START_US, lastUs: START_US + durationSeconds * 1e6, clientToServer: { packets: 1800, bytes: 100_000 }, serverToClient: { packets: 1800, bytes: 300_000 },
      ...(index === 1 ? { player: HOSTILE_NAME } : {}),
    })),
    decodeAnomalies: {},
    sections: [
      { analysis: "latency", question: "When did latency spike, and what caused it?", answer: [`${players} session(s) measured; spikes on ${latencyFindings.length}.`], findings: [...latencyFindings, ...minorFindings], recommendations: [], metrics: [], tables: [], series: [], report: { sessions: latencySessions } },
      {
        analysis: "loss", question: "Which game data is lost, in what bursts?", answer: ["Loss per stream below."], findings: lossFindings, metrics: [], tables: [], series: [],
        recommendations: [{ id: "loss.inputRedundancy.0", analysis: "loss", kind: "inputRedundancy", title: "Send the last 6 inputs in every packet", metric: "residualInputLossRate", before: 0.0022, after: 0.00056, verified: true, method: "replayed", cost: {}, session: sessions[badPlayer]!.id }],
        report: { sessions: lossSessions },
      },
      {
        analysis: "bandwidth", question: "Where do the bytes go, and what saves the most?", answer: ["snapshot carries most bytes."], findings: [], metrics: [], tables: [], series: [],
        recommendations: [
          { id: "bandwidth.quantization", analysis: "bandwidth", kind: "quantization", title: "Quantize fields to their observed ranges", metric: "messageBytes", before: 3_393_794, after: 2_697_834, verified: true, method: "re-encoded", cost: {} },
          { id: "bandwidth.delta", analysis: "bandwidth", kind: "deltaEncoding", title: `Delta-encode ${HOSTILE_NAME} against the last acknowledged one`, metric: "messageBytes", before: 3_393_794, after: 1_298_000, verified: true, method: "re-encoded", cost: {} },
        ],
        report: {
          byMessageType: bandwidthTypes.map((entry) => ({ type: entry.type, direction: entry.direction, bytesPerSecond: entry.bytesPerSecond[0], share: 0.1 })),
          byMessageTypeTimeline: { bucketMs: 1000, startUs: Array.from({ length: durationSeconds }, (_, second) => START_US + second * 1e6), types: bandwidthTypes },
        },
      },
      {
        analysis: "anticheat", question: "Which clients manipulate timing or packets?", answer: [`${flagged.length} player(s) flagged.`], findings: anticheatFindings, recommendations: [], metrics: [], tables: [], series: [],
        report: {
          findings: anticheatFindings,
          players: sessions.map(({ id, index }) => {
            const order = flagged.findIndex((entry) => entry.index === index);
            return { player: order === 0 ? HOSTILE_NAME : id, session: id, verdict: order >= 0 ? "cheating" : "clean", score: order >= 0 ? 0.9 : 0, kinds: order >= 0 ? ["speedhack"] : [] };
          }),
          audit: [{ id: "audit.noAuthentication", severity: "critical", title: "No MAC or AEAD authentication", exploit: "anyone can forge", fix: "Encrypt and authenticate every datagram" }],
        },
      },
      {
        analysis: "regions", question: "How do server regions compare?", answer: ["eu-central ranks first."], findings: [], recommendations: [], metrics: [], tables: [], series: [],
        report: { regions: [{ name: "eu-central", sessions: Math.ceil(players / 2), rttMs: { p50: 18, p95: 36 } }, { name: HOSTILE_NAME, sessions: Math.floor(players / 2), rttMs: { p50: 23, p95: 85 } }] },
      },
    ],
  };
}
