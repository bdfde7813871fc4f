import type { GameMessage, LogEvent, Session } from "@tickscope/core";
import type { RegionsReport } from "@tickscope/regions";
import { describe, expect, it } from "vitest";
import type { AnalysisContext } from "./analysis-adapter.js";
import { regionsAdapter } from "./regions.js";

function contextOf(extra: Partial<AnalysisContext>): AnalysisContext {
  return { regionOfSession: new Map(), sessions: [], clientLocations: new Map(), serverSites: {}, settings: {}, ...extra };
}

const session: Session = {
  id: "s",
  transport: "udp",
  client: { address: "198.51.100.7", port: 5000 },
  server: { address: "192.0.2.1", port: 7777 },
  firstUs: 0,
  lastUs: 0,
  clientToServer: { packets: 0, bytes: 0 },
  serverToClient: { packets: 0, bytes: 0 },
};

/** An unlabelled session with a reported RTT that a server-log event labels after its first messages. */
function runLabelledLate(context: AnalysisContext): RegionsReport {
  const analyzer = regionsAdapter.create(context);
  analyzer.onSession?.({ ...session });
  for (let index = 0; index < 10; index++) {
    const message: GameMessage = { sessionId: "s", direction: "clientToServer", tUs: index * 1e6, packetIndex: index, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 52, fields: {}, roles: { reportedRttMs: 40 } };
    analyzer.onMessage(message);
  }
  const label: LogEvent = { tUs: 10e6, type: "join", session: "s", region: "eu-west", values: {}, labels: {}, line: 1 };
  analyzer.onLogEvent?.(label);
  return analyzer.finish() as RegionsReport;
}

describe("regions adapter: unlabelled sessions are measured only when a label can still come", () => {
  it("with a server log (labels may come later) or states that may join later parts of a session (a merge may label), every session is measured", () => {
    for (const context of [contextOf({ hasServerLog: true }), contextOf({ statesJoinSessionParts: true })]) {
      const report = runLabelledLate(context);
      expect(report.sessions.skipped).toEqual({});
      expect(report.regions.map((region) => region.name)).toEqual(["eu-west"]);
    }
  });

  it("without either, labels are known at session start: an unlabelled session is counted, not measured", () => {
    for (const context of [contextOf({}), contextOf({ statesJoinSessionParts: false })]) {
      // the second: a session-cut thread (states saved, sessions disjoint) decides as a plain run
      const report = runLabelledLate(context);
      expect(report.sessions.skipped).toEqual({ E_REGIONS_LABELLED_LATE: 1 });
      expect(report.regions).toEqual([]);
    }
  });
});

describe("regions adapter: the config file's analyses.regions maps label sessions", () => {
  /** A session with reported RTTs, fed to an adapter built from `context`. */
  function runOne(context: AnalysisContext): RegionsReport {
    const analyzer = regionsAdapter.create(context);
    analyzer.onSession?.({ ...session });
    for (let index = 0; index < 10; index++) {
      const message: GameMessage = { sessionId: "s", direction: "clientToServer", tUs: index * 1e6, packetIndex: index, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 52, fields: {}, roles: { reportedRttMs: 40 } };
      analyzer.onMessage(message);
    }
    return analyzer.finish() as RegionsReport;
  }

  it("regionOfSession from the config labels a session that --region/--server-region did not", () => {
    const report = runOne(contextOf({ settings: { regions: { regionOfSession: { s: "ap-south" } } } }));
    expect(report.regions.map((region) => region.name)).toEqual(["ap-south"]);
    expect(report.sessions.skipped).toEqual({});
  });

  it("a label from the capture wins over the config's", () => {
    const report = runOne(contextOf({ regionOfSession: new Map([["s", "eu-west"]]), settings: { regions: { regionOfSession: { s: "ap-south" } } } }));
    expect(report.regions.map((region) => region.name)).toEqual(["eu-west"]);
  });

  it("without any label the session is counted, not compared", () => {
    const report = runOne(contextOf({}));
    expect(report.regions).toEqual([]);
  });
});
