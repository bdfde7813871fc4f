import type { AnticheatReport } from "@tickscope/anticheat";
import type { BandwidthReport } from "@tickscope/bandwidth";
import type { ProtocolDefinition } from "@tickscope/core/protocol";
import type { LatencyReport, LatencyStreamReport } from "@tickscope/latency";
import type { LossReport } from "@tickscope/loss";
import type { RegionsReport } from "@tickscope/regions";
import { describe, expect, it } from "vitest";
import { anticheatSection } from "./anticheat.js";
import { bandwidthSection } from "./bandwidth.js";
import { latencySection } from "./latency.js";
import { lossSection } from "./loss.js";
import { regionsSection } from "./regions.js";
import { undecodedReason } from "./undecoded-traffic.js";

// Reports reduced to what the sections read (the packages' own tests cover the full shapes).
const withoutDefinition = { definition: undefined };
const withDefinition = { definition: { name: "test" } as unknown as ProtocolDefinition };
const emptyLatency = { sessions: [], streams: [], findings: [], anomalies: {} } as unknown as LatencyReport;
const emptyLoss = { sessions: [], syncImpact: [], recommendations: [], findings: [] } as unknown as LossReport;
const twoClients = {
  players: [
    { player: "a", session: "a", verdict: "clean", score: 0, kinds: [] },
    { player: "b", session: "b", verdict: "clean", score: 0, kinds: [] },
  ],
  findings: [],
  audit: [],
} as unknown as AnticheatReport;

describe("answers say only what was measured (issue 13 §6)", () => {
  it("without --protocol: latency, loss and anticheat first say what was not measured and why, never a clean bill", () => {
    expect(undecodedReason(withDefinition)).toBeUndefined();
    expect(undecodedReason(undefined)).toBeUndefined();
    const latency = latencySection(emptyLatency, withoutDefinition).answer;
    expect(latency[0]).toMatch(/^Not measured: no protocol definition was given \(--protocol\), so no datagram was decoded\. RTT needs/);
    expect(latency.join(" ")).not.toContain("No latency spike");
    const loss = lossSection(emptyLoss, withoutDefinition).answer;
    expect(loss).toEqual(["Not measured: no protocol definition was given (--protocol), so no datagram was decoded. Loss needs a sequence (or ack) role to know what was sent."]);
    const anticheat = anticheatSection(twoClients, withoutDefinition).answer;
    expect(anticheat[0]).toMatch(/^Not tested: no protocol definition was given .*none of the 2 client\(s\) seen was checked\.$/);
    expect(anticheat.join(" ")).not.toContain("No client shows cheating");
    // With a definition the verdict stands.
    expect(anticheatSection(twoClients, withDefinition).answer[0]).toBe("No client shows cheating on the wire (2 player(s) checked).");
  });

  it("a definition that matched no datagram (ndpi_kcp.pcap with netcode.json): every answer says so, no '0 kbit/s on the wire', no 'no client shows cheating'", () => {
    const matchedNothing = { ...withDefinition, sessions: [] };
    const reason = "the protocol definition matched no datagram of the capture (0 game sessions; every datagram is other traffic: check the definition's match rules and --server-port)";
    expect(latencySection(emptyLatency, matchedNothing).answer[0]).toBe(`Not measured: ${reason}. RTT needs ack, echo or reported-RTT roles and jitter a sendTime role, so no latency spike could be looked for.`);
    expect(lossSection(emptyLoss, matchedNothing).answer[0]).toBe(`Not measured: ${reason}. Loss needs a sequence (or ack) role to know what was sent.`);
    const noPlayers = { ...twoClients, players: [] } as unknown as AnticheatReport;
    expect(anticheatSection(noPlayers, matchedNothing).answer[0]).toMatch(/^Not tested: the protocol definition matched no datagram/);
    const emptyBandwidth = { totals: { packets: 0, bytesPerSecond: 0, packetsPerSecond: 0, peakBytesPerSecond: 0, headerShare: 0 }, byMessageType: [], recommendations: [], plan: { steps: [] }, bySession: [], perMinute: [] } as unknown as BandwidthReport;
    expect(bandwidthSection(emptyBandwidth, matchedNothing as never).answer).toEqual([`Not measured: ${reason}.`]);
    // without a definition and without UDP (a TCP-only capture): no datagram to account, not "no definition"
    expect(bandwidthSection(emptyBandwidth, { ...withoutDefinition, sessions: [] } as never).answer).toEqual(["Not measured: the capture holds no UDP datagram in a session."]);
    // with game sessions the measured answers stand
    const oneSession = { ...withDefinition, sessions: [{ id: "s" }] } as never;
    expect(anticheatSection(twoClients, oneSession).answer[0]).toBe("No client shows cheating on the wire (2 player(s) checked).");
  });

  it("a player with no decoded client message is notTested: the answer says so and no clean bill is given", () => {
    const oneWay = {
      ...twoClients,
      players: [
        { player: "a", session: "a", verdict: "clean", score: 0, kinds: [] },
        { player: "b", session: "b", verdict: "notTested", score: 0, kinds: [] },
      ],
    } as unknown as AnticheatReport;
    const oneSession = { ...withDefinition, sessions: [{ id: "s" }] } as never;
    expect(anticheatSection(oneWay, oneSession).answer).toEqual([
      "No client shows cheating on the wire (1 player(s) checked).",
      "Not tested: 1 session(s) with no decoded client message (the client sent nothing this definition decodes, e.g. a one-way stream); their players are not judged (verdict notTested).",
    ]);
    const noneJudged = { ...twoClients, players: twoClients.players.map((player) => ({ ...player, verdict: "notTested" })) } as unknown as AnticheatReport;
    const answer = anticheatSection(noneJudged, oneSession).answer;
    expect(answer[0]).toBe("No player was judged (2 seen: 2 not tested, 0 unreadable).");
    expect(answer.join(" ")).not.toContain("No client shows cheating");
    // without --protocol the "Not tested: no protocol definition" line alone explains it
    expect(anticheatSection(noneJudged, withoutDefinition).answer).toHaveLength(1);
  });

  it("an encrypted definition without keys (keyMissing) says no key was given, not 'check the key file'", () => {
    const finding = (kind: string, mitigation: string) => ({ kind, mitigation, summary: "", severity: "high", startUs: 0, endUs: 0, session: "a", evidence: { values: {}, packetIndices: [] } });
    const unreadable = (kind: string, mitigation: string) =>
      ({ players: [{ player: "a", session: "a", verdict: "unreadable", score: 0, kinds: [kind] }], findings: [finding(kind, mitigation)], audit: [] }) as unknown as AnticheatReport;
    const oneSession = { ...withDefinition, sessions: [{ id: "a" }] } as never;
    const missing = anticheatSection(unreadable("keyMissing", "Give the keys (--keys)."), oneSession).answer.join(" ");
    expect(missing).toContain("no key was available for the definition's encrypted (AEAD) transform (no key file given, or none of its lines names them), so their traffic cannot be decrypted (E_KEY_MISSING, not a wrong key) (keyMissing) → Give the keys (--keys).");
    expect(missing).not.toContain("with the given keys");
    const wrong = anticheatSection(unreadable("keyMismatch", "Check the key file (--keys)."), oneSession).answer.join(" ");
    expect(wrong).toContain("their traffic does not verify with the given keys (keyMismatch) → Check the key file (--keys).");
  });

  it("bandwidth names capture duplicates (one datagram captured twice) apart from resends", () => {
    const totals = { packets: 135, bytesPerSecond: 28890, packetsPerSecond: 135, peakBytesPerSecond: 28890, headerShare: 0.2, idleGaps: 0, activeDurationMs: 1000, durationMs: 346 };
    const report = { totals, byMessageType: [], recommendations: [], plan: { steps: [] }, bySession: [], perMinute: [], measuredWindow: {}, captureDuplicates: { packets: 34, wireBytes: 7276, firstPacketIndex: 62 } } as unknown as BandwidthReport;
    expect(bandwidthSection(report, withoutDefinition as never).answer[1]).toBe(
      "34 datagram(s) (7276 wire bytes, first frame 63) were captured twice (same IP identification within 10 ms, or on two capture interfaces): capture duplicates, not resends, so no change to the protocol is suggested for them; the rates above include them.",
    );
    const none = { ...report, captureDuplicates: { packets: 0, wireBytes: 0, firstPacketIndex: -1 } } as unknown as BandwidthReport;
    expect(bandwidthSection(none, withoutDefinition as never).answer.join(" ")).not.toContain("captured twice");
  });

  it("with a definition but no RTT roles: no spike claim; RTP jitter is reported with its discontinuities", () => {
    const stream = { session: "s", direction: "clientToServer", ssrcOrChannel: "3739283087", packets: 236, jitterMs: { mean: 0.35, max: 0.829, last: 0.365 }, restarts: 2 } as unknown as LatencyStreamReport;
    const answer = latencySection({ ...emptyLatency, streams: [stream] }, withDefinition).answer;
    expect(answer).toEqual([
      "No RTT measured: the definition has no ack, echo or reported-RTT role, or no reply was captured, so no latency spike could be looked for (jitter below is one-way, from the sender's clock).",
      "RFC 3550 jitter on 1 stream(s): worst s clientToServer 3739283087 mean 0.35 ms, max 0.829 ms; 2 sender timestamp discontinuities restarted it (timestampReset findings).",
    ]);
    // With RTT measured, jitter stays in the tables (the RTT and its spikes are the answer).
    const rtt = { id: "s", rttMs: { samples: 40, p50: 50, p95: 60, p99: 70, max: 80 }, jitterMs: { rfc3550: 1 }, experience: { timeAbove100Ms: 0 }, series: [], methodsDisagree: [], spikes: [], timeline: [] };
    expect(latencySection({ ...emptyLatency, sessions: [rtt], streams: [stream] } as unknown as LatencyReport, withDefinition).answer).toEqual([
      "1 session(s) measured: median RTT p50 50 ms, p95 60 ms (worst p95 60 ms).",
      "No latency spike above the robust baseline.",
    ]);
    expect(lossSection(emptyLoss, withDefinition).answer[0]).toBe("Not measured: no sequenced traffic — the definition has no sequence or ack role, or no message carried one.");
  });

  it("loss names what it counts: expected sequence numbers of sequenced messages, not datagrams", () => {
    const stream = {
      id: "s",
      direction: "serverToClient",
      channel: 3,
      messageType: "unreliableGss",
      expected: 39_426,
      lost: 27,
      lossRate: 27 / 39_426,
      lossRateInterval: { lower: 0.0005, upper: 0.001 },
      bursts: { meanLength: 6.75, maxLength: 13 },
      netem: null,
      resets: { count: 0 },
    };
    const answer = lossSection({ ...emptyLoss, sessions: [stream] } as unknown as LossReport, withDefinition).answer;
    expect(answer[0]).toMatch(/^0\.06848% of 39426 expected sequence numbers lost overall \(sequenced messages, not datagrams; 1 sequence space\(s\)\); worst stream s serverToClient/);
  });

  it("regions: 'not tested: N sessions, need ≥ M' when no significance test ran; tested comparisons counted otherwise", () => {
    const region = (name: string, sessions: number) => ({ name, sessions, players: sessions, rttMs: { p50: 20, p95: 40, p99: 50 }, experience: { score: 90 } });
    const comparison = (pValue: number | null, significant = false) => ({ a: "eu", b: "us", metric: "rttP50Ms", pValue, pValueAdjusted: pValue, significant, ci: null, difference: 1, conclusion: "eu vs us: differ." });
    const base = { ranking: ["eu", "us"], challenges: [], placement: null, findings: [], method: { alpha: 0.05, correction: "holm", minimumSessions: 20 } };
    const untested = { ...base, regions: [region("eu", 9), region("us", 7)], comparisons: [comparison(null), comparison(null), comparison(null), comparison(null)] } as unknown as RegionsReport;
    expect(regionsSection(untested).answer[1]).toBe("Differences between regions not tested: 16 session(s) (eu 9, us 7), need ≥ 20 per region for a significance test.");
    const tested = { ...base, regions: [region("eu", 30), region("us", 25), region("ap", 4)], comparisons: [comparison(0.4), comparison(null)] } as unknown as RegionsReport;
    expect(regionsSection(tested).answer[1]).toBe("No significant difference between regions (1 of 2 comparison(s) tested, holm corrected, α 0.05). Not tested: ap 4 session(s), need ≥ 20.");
    const significant = { ...tested, comparisons: [comparison(0.001, true), comparison(null)] } as unknown as RegionsReport;
    expect(regionsSection(significant).answer[1]).toBe("1 of 1 tested comparison(s) significant: eu vs us: differ. Not tested: ap 4 session(s), need ≥ 20.");
    // a region's percentiles are over session medians; labelled sessions without RTT are named, never "no region labels"
    expect(regionsSection(untested).answer[0]).toBe("Ranking (best first): eu > us. eu: session-median RTT p50 20 ms, p95 40 ms over 9 session(s), 9 player(s); us: session-median RTT p50 20 ms, p95 40 ms over 7 session(s), 7 player(s).");
    const rtpOnly = { ...base, regions: [], comparisons: [], ranking: [], sessions: { total: 6, analysed: 0, skipped: { E_REGIONS_NO_RTT: 6 }, list: [] } } as unknown as RegionsReport;
    expect(regionsSection(rtpOnly).answer).toEqual(["No region compared: 6 labelled session(s), none with an RTT (regions compare RTT: the definition needs ack, echo or reported-RTT roles)."]);
    const partly = { ...untested, sessions: { total: 17, analysed: 16, skipped: { E_REGIONS_NO_RTT: 1 }, list: [] } } as unknown as RegionsReport;
    expect(regionsSection(partly).answer[0]).toMatch(/\. 1 labelled session\(s\) without an RTT are not in it\.$/);
    expect(regionsSection({ ...base, regions: [], comparisons: [] } as unknown as RegionsReport).answer[0]).toBe("No region labels: give captures as --region name=capture to compare regions.");
  });

  it("loss names capture duplicates (ndpi_skinny: 18 + 16 RTP packets captured twice ~25 µs apart, Wireshark's -18/-16 'lost') apart from duplicates and loss", () => {
    const stream = (id: string, duplicates: number, captureDuplicates: number) => ({
      id, direction: "clientToServer", messageType: "rtp", expected: 18, lost: 0, duplicates, captureDuplicates, lossRate: 0,
      lossRateInterval: { lower: 0, upper: 0.18 }, bursts: { meanLength: 0, maxLength: 0 }, netem: null, resets: { count: 0 },
    });
    const skinny = { ...emptyLoss, sessions: [stream("a", 0, 18), stream("b", 0, 16), stream("c", 0, 0)] } as unknown as LossReport;
    const answer = lossSection(skinny, withDefinition).answer;
    expect(answer[1]).toBe(
      "34 sequence number(s) in 2 stream(s) were captured twice (byte-identical datagrams within 10 ms with the same IP identification, or on two capture interfaces: a mirrored port or two capture points): capture duplicates, not sent or received twice, so each counts once as received and not as a duplicate.",
    );
    expect(answer.join(" ")).not.toContain("duplicate(s) in");
    // a resending sender's duplicates stay duplicates, named apart
    const resent = lossSection({ ...emptyLoss, sessions: [stream("a", 5, 0), stream("b", 2, 3)] } as unknown as LossReport, withDefinition).answer;
    expect(resent[1]).toBe(
      "7 duplicate(s) in 2 stream(s) (most in a): sequence numbers received twice, counted apart from loss — a resending sender or a network that duplicates (datagrams the capture saw twice are not among them).",
    );
    expect(resent[2]).toMatch(/^3 sequence number\(s\) in 1 stream\(s\) were captured twice/);
    expect(lossSection({ ...emptyLoss, sessions: [stream("c", 0, 0)] } as unknown as LossReport, withDefinition).answer.join(" ")).not.toContain("duplicate");
  });

  it("bandwidth names the headers it counts (wire − UDP payload includes the link header)", () => {
    const report = {
      totals: { bytesPerSecond: 15_020.5, packetsPerSecond: 109.748, peakBytesPerSecond: 46_311, headerShare: 0.30688 },
      byMessageType: [],
      recommendations: [],
      plan: { steps: [] },
      bySession: [],
      perMinute: [],
    } as unknown as BandwidthReport;
    expect(bandwidthSection(report).answer[0]).toBe("120.2 kbit/s on the wire (109.7 packets/s, peak 370.5 kbit/s); link+IP+UDP headers are 30.69% of wire bytes.");
  });

  it("bandwidth says when its rates leave silences out (ndpi_teamspeak3.pcap: 22 years between its parts read 0 kbit/s)", () => {
    const totals = { bytesPerSecond: 182.4, packetsPerSecond: 3.254, peakBytesPerSecond: 612, headerShare: 0.8147, durationMs: 721_196_679_073, activeDurationMs: 181_000, idleGaps: 144 };
    const report = { totals, byMessageType: [], recommendations: [], plan: { steps: [] }, bySession: [], perMinute: [] } as unknown as BandwidthReport;
    expect(bandwidthSection(report).answer[0]).toBe(
      "1.459 kbit/s on the wire (3.254 packets/s, peak 4.896 kbit/s) over 181 s of traffic (144 silence(s) over 120 s left out of the 721196679 s capture span); link+IP+UDP headers are 81.47% of wire bytes.",
    );
  });
});
