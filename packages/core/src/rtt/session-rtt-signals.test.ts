import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import type { RttSample } from "./rtt-sample.js";
import { rttSeriesKey, sendTimeChannel, SessionRttSignals, spikeCounts, type RttSpike } from "./session-rtt-signals.js";
import { SessionRtt } from "./session-rtt.js";

function sample(method: RttSample["method"], tUs: number, rttMs: number, direction: RttSample["direction"] = "clientToServer"): RttSample {
  return { sessionId: "s", direction, method, tUs, rttMs, packetIndex: 0, channel: "" };
}

function collect(): { signals: SessionRttSignals; spikes: { key: string; spike: RttSpike }[] } {
  const spikes: { key: string; spike: RttSpike }[] = [];
  const signals = new SessionRttSignals(new SessionRtt(), undefined, (series, spike) => spikes.push({ key: rttSeriesKey(series.method, series.direction), spike }));
  return { signals, spikes };
}

describe("SessionRttSignals: one computation of spikes and jitter per session", () => {
  it("drops an ack spike the headline echo contradicts, keeps one it confirms", () => {
    const { signals, spikes } = collect();
    // Acks every 20 ms at 40 ms; an echo every 500 ms at 38 ms. At 10 s the acks alone jump to 400 ms for 1 s
    // (acks batched: the echo at the same moments says 38 ms); at 20 s both jump to 300 ms (a real spike).
    for (let tUs = 0; tUs < 60_000_000; tUs += 20_000) {
      const ackBatched = tUs >= 10_000_000 && tUs < 11_000_000;
      const realSpike = tUs >= 20_000_000 && tUs < 21_000_000;
      signals.add(sample("ack", tUs, ackBatched ? 400 : realSpike ? 300 : 40 + (tUs % 3)));
      if (tUs % 500_000 === 0) signals.add(sample("echo", tUs, realSpike ? 298 : 38 + (tUs % 2)));
    }
    signals.finish();
    const choice = signals.rtt.choose()!;
    expect(choice.headline.method).toBe("echo");
    expect(choice.timeSeries.method).toBe("ack");
    const ackSpikes = spikes.filter((entry) => entry.key === rttSeriesKey("ack", "clientToServer"));
    expect(ackSpikes).toHaveLength(2);
    expect(ackSpikes[0]!.spike.contradictedBy).toEqual([rttSeriesKey("echo", "clientToServer")]);
    expect(ackSpikes[1]!.spike.contradictedBy).toBeUndefined();
    expect(ackSpikes.map((entry) => spikeCounts(entry.spike, choice))).toEqual([false, true]);
    // The session's jitter without send times: RFC 3550 over the time series' RTT.
    expect(signals.sessionJitter(choice)).toBe(signals.of(choice.timeSeries).jitter);
    expect(signals.of(choice.timeSeries).firstUs).toBe(0);
    expect(signals.all().map((series) => series.method)).toEqual(["echo", "ack"]);
  });

  it("lets neither a reported RTT nor an echo of the other request direction contradict an ack spike", () => {
    const { signals, spikes } = collect();
    // Server-side capture: the server's snapshots are acked at ~29 ms (serverToClient, the network RTT);
    // the client's pings are answered here after the server's tick (clientToServer, ~16 ms, a local
    // turnaround); the client reports a smoothed RTT. A real 300 ms spike at 20 s moves only the acks.
    let reportedMs = 20;
    for (let tUs = 0; tUs < 60_000_000; tUs += 20_000) {
      const realSpike = tUs >= 20_000_000 && tUs < 22_000_000;
      const ackMs = realSpike ? 330 : 28 + (tUs % 3);
      signals.add(sample("ack", tUs, ackMs, "serverToClient"));
      reportedMs += (ackMs - 15 - reportedMs) / 64;
      signals.add(sample("reported", tUs, Math.round(reportedMs), "clientToServer"));
      if (tUs % 1_000_000 === 0) signals.add(sample("echo", tUs, 16 + (tUs % 2), "clientToServer"));
    }
    signals.finish();
    const choice = signals.rtt.choose()!;
    expect(choice.timeSeries).toMatchObject({ method: "ack", direction: "serverToClient" });
    const ackSpikes = spikes.filter((entry) => entry.key === rttSeriesKey("ack", "serverToClient"));
    expect(ackSpikes).toHaveLength(1);
    expect(ackSpikes[0]!.spike.contradictedBy).toBeUndefined();
    expect(spikeCounts(ackSpikes[0]!.spike, choice)).toBe(true);
  });

  it("takes the jitter from the received send-time stream once there is one, and stops feeding RTT-series jitter", () => {
    const { signals } = collect();
    const message = (direction: GameMessage["direction"], tUs: number, sendTimeUs: number, packetIndex: number, channel?: number): GameMessage => ({
      sessionId: "s",
      direction,
      tUs,
      packetIndex,
      indexInPacket: 0,
      type: "m",
      byteLength: 10,
      packetWireLength: 60,
      fields: {},
      roles: channel === undefined ? { sendTimeUs } : { sendTimeUs, channel },
    });
    signals.add(sample("ack", 0, 40));
    let packetIndex = 0;
    for (let index = 0; index < 50; index++) {
      const sendUs = index * 20_000;
      // client→server arrives with 10 ± 3 ms transit; the server's own datagrams leave at once (no jitter)
      const stream = signals.addSendTime(message("clientToServer", sendUs + 10_000 + (index % 2) * 3000, sendUs, packetIndex, 1), sendUs);
      signals.addSendTime(message("clientToServer", sendUs + 10_000, sendUs, packetIndex++, 1), sendUs); // same datagram: once
      signals.addSendTime(message("serverToClient", sendUs + 5000, sendUs + 5000, packetIndex++), sendUs + 5000);
      expect(stream.channel).toBe("1");
    }
    expect(signals.hasReceivedStream).toBe(true);
    const before = signals.of(signals.rtt.choose()!.timeSeries).jitter.packets;
    signals.add(sample("ack", 1_000_000, 80));
    expect(signals.of(signals.rtt.choose()!.timeSeries).jitter.packets).toBe(before);
    const received = signals.receivedStream()!;
    expect(received.direction).toBe("clientToServer");
    expect(received.jitter.packets).toBe(50);
    expect(signals.sessionJitter(signals.rtt.choose()!)).toBe(received.jitter);
    expect(received.jitter.jitterUs).toBeGreaterThan(2000);
    expect(signals.orderedSendTimeStreams().map((stream) => `${stream.direction}/${stream.channel}`)).toEqual(["clientToServer/1", "serverToClient/"]);
  });

  it("keys a send-time stream's clock by its modulus: a repeated modulus continues it, a new one restarts it as a clock change", () => {
    const { signals } = collect();
    const message = (packetIndex: number, sendTimeUs: number, sendTimeModulusUs: number | undefined, channel: number | string): GameMessage => ({
      sessionId: "s",
      direction: "clientToServer",
      tUs: sendTimeUs + 10_000,
      packetIndex,
      indexInPacket: 0,
      type: "m",
      byteLength: 10,
      packetWireLength: 60,
      fields: {},
      roles: sendTimeModulusUs === undefined ? { sendTimeUs, channel } : { sendTimeUs, sendTimeModulusUs, channel },
    });
    const moduli = [65_536_000, 65_536_000, 65_536_000, 4_294_967_296_000, 4_294_967_296_000, undefined, undefined, 65_536_000];
    let stream = signals.addSendTime(message(0, 0, moduli[0], 300), 0);
    for (let index = 1; index < moduli.length; index++) stream = signals.addSendTime(message(index, index * 20_000, moduli[index], 300), index * 20_000);
    expect(stream.channel).toBe("300");
    expect(stream.jitter.packets).toBe(moduli.length);
    expect(stream.jitter.restarts.map((restart) => restart.reason)).toEqual(["clockChange", "clockChange", "clockChange"]);
    expect(stream.restartPacketIndices).toEqual([3, 5, 7]);
    expect(signals.addSendTime(message(8, 8 * 20_000, 65_536_000, "300"), 8 * 20_000)).toBe(stream);
  });

  it("detectSpikes then addValue, under the batching rules, equals addToSeries; beforeSpikeClose runs before a spike is judged", () => {
    const immediate = collect();
    const spikes: { key: string; spike: RttSpike }[] = [];
    const pending: RttSample[] = [];
    let flushesAtClose = 0;
    const flush = (): void => {
      for (const entry of pending) batched.addValue(batched.seriesFor(entry.method, entry.direction), entry.tUs, entry.rttMs, entry.method !== "ack");
      for (const entry of pending) if (entry.method === "ack") batched.seriesFor(entry.method, entry.direction).series.countChannel(entry.channel);
      pending.length = 0;
    };
    const batched: SessionRttSignals = new SessionRttSignals(
      new SessionRtt(),
      undefined,
      (series, spike) => spikes.push({ key: rttSeriesKey(series.method, series.direction), spike }),
      () => {
        flushesAtClose += 1;
        flush();
      },
    );
    for (let tUs = 0; tUs < 30_000_000; tUs += 20_000) {
      const ackBatched = tUs >= 10_000_000 && tUs < 11_000_000;
      const entries = [sample("ack", tUs, ackBatched ? 400 : 40 + (tUs % 3))];
      if (tUs % 500_000 === 0 && tUs > 2_000_000) entries.push(sample("echo", tUs, 38 + (tUs % 2)));
      for (const entry of entries) {
        immediate.signals.add(entry);
        if (entry.method !== "ack" && !batched.hasDirectMethod) {
          flush();
          batched.hasDirectMethod = true;
        }
        pending.push({ ...entry });
        batched.detectSpikes(batched.seriesFor(entry.method, entry.direction), entry);
        if (pending.length >= 50) flush();
      }
    }
    flush();
    immediate.signals.finish();
    batched.finish();
    expect(flushesAtClose).toBeGreaterThan(0);
    expect(spikes.map((entry) => entry.spike.contradictedBy)).toEqual([[rttSeriesKey("echo", "clientToServer")]]);
    expect(spikes).toEqual(immediate.spikes);
    expect(batched.saveState()).toEqual(immediate.signals.saveState());
    expect(batched.rtt.saveState()).toEqual(immediate.signals.rtt.saveState());
  });

  it("addSendTimeOf, from a datagram's numbers, gives addSendTime's streams, restarts and flags", () => {
    const fromMessages = collect().signals;
    const fromNumbers = collect().signals;
    const message = (direction: GameMessage["direction"], packetIndex: number, tUs: number, sendTimeUs: number, extra: Partial<GameMessage["roles"]>): GameMessage => ({
      sessionId: "s",
      direction,
      tUs,
      packetIndex,
      indexInPacket: 0,
      type: "m",
      byteLength: 10,
      packetWireLength: 60,
      fields: {},
      roles: { sendTimeUs, ...extra },
    });
    let packetIndex = 0;
    for (let index = 0; index < 300; index++) {
      const sendUs = index * 20_000 + (index >= 150 ? 50_000_000 : 0); // a timestamp jump at 150 (sequence continues: a restart)
      const modulus = index >= 200 && index < 210 ? 65_536_000 : undefined; // a clock change and back
      const entries = [
        message("clientToServer", packetIndex, sendUs + 10_000 + (index % 3) * 1500, sendUs, { channel: index % 2, sequence: index >> 1, sequenceBits: 16, ...(modulus === undefined ? {} : { sendTimeModulusUs: modulus }) }),
        message("clientToServer", packetIndex++, sendUs + 10_000 + (index % 3) * 1500, sendUs, { channel: index % 2, sequence: index >> 1 }), // same datagram: once
        message("serverToClient", packetIndex++, sendUs + 5000, sendUs + 5000, index % 5 === 0 ? { sessionId: "x" } : {}),
      ];
      for (const entry of entries) {
        const roles = entry.roles;
        const expected = fromMessages.addSendTime(entry, roles.sendTimeUs!);
        const stream = fromNumbers.addSendTimeOf(entry.direction, sendTimeChannel(entry), entry.packetIndex, entry.tUs, roles.sendTimeUs!, roles.sendTimeModulusUs, typeof roles.sequence === "number" ? roles.sequence : Number.NaN, roles.sequenceBits ?? 16);
        expect(stream.channel).toBe(expected.channel);
        expect(fromNumbers.hasReceivedStream).toBe(fromMessages.hasReceivedStream);
      }
    }
    expect(fromNumbers.saveState()).toEqual(fromMessages.saveState());
    expect(fromMessages.orderedSendTimeStreams().map((stream) => `${stream.direction}/${stream.channel}`)).toEqual(["clientToServer/0", "clientToServer/1", "serverToClient/", "serverToClient/x"]);
    expect(fromMessages.orderedSendTimeStreams().flatMap((stream) => stream.restartPacketIndices).length).toBeGreaterThan(2);
  });
});
