import { describe, expect, it } from "vitest";
import { describeOtherTraffic, emptyOtherTraffic, mergeOtherTraffic, OTHER_TRAFFIC_LIST_LIMITS, type OtherTraffic } from "./other-traffic.js";

function sample(port: number, packets: number, bytes: number): OtherTraffic {
  return {
    packets,
    bytes,
    flowCount: 1,
    byReason: { datagramMatch: { packets, bytes } },
    ports: [{ transport: "udp", port, flows: 1, packets, bytes }],
    flows: [{ transport: "udp", a: `10.0.0.2:${port + 1}`, b: `10.0.0.1:${port}`, server: `10.0.0.1:${port}`, serverRule: "ephemeralPort", reason: "datagramMatch", packets, bytes, gamePackets: 0 }],
  };
}

describe("other traffic", () => {
  it("merges two captures' summaries: counters add, ports add per port, lists sorted by bytes and cut", () => {
    const merged = mergeOtherTraffic(sample(53, 2, 200), { ...sample(53, 3, 900), byReason: { excludedPort: { packets: 3, bytes: 900 } } });
    expect(merged).toMatchObject({ packets: 5, bytes: 1100, flowCount: 2, byReason: { datagramMatch: { packets: 2, bytes: 200 }, excludedPort: { packets: 3, bytes: 900 } } });
    expect(merged.ports).toEqual([{ transport: "udp", port: 53, flows: 2, packets: 5, bytes: 1100 }]);
    expect(merged.flows.map((flow) => flow.bytes)).toEqual([900, 200]);
    let many = emptyOtherTraffic();
    for (let index = 0; index < OTHER_TRAFFIC_LIST_LIMITS.flows + 5; index++) many = mergeOtherTraffic(many, sample(1000 + index, 1, index));
    expect(many.flows).toHaveLength(OTHER_TRAFFIC_LIST_LIMITS.flows);
    expect(many.ports).toHaveLength(OTHER_TRAFFIC_LIST_LIMITS.ports);
    expect(many.flowCount).toBe(OTHER_TRAFFIC_LIST_LIMITS.flows + 5);
    expect(many.flows[0]!.bytes).toBe(OTHER_TRAFFIC_LIST_LIMITS.flows + 4);
  });

  it("says what the other traffic is in one sentence", () => {
    expect(describeOtherTraffic(emptyOtherTraffic())).toBe("Other traffic: none (every packet is the game's).");
    expect(describeOtherTraffic(mergeOtherTraffic(sample(53, 2, 200), { ...sample(443, 1, 60), byReason: { transport: { packets: 1, bytes: 60 } }, ports: [{ transport: "tcp", port: 443, flows: 1, packets: 1, bytes: 60 }] }))).toBe(
      "Other traffic (not the game's: never decoded, never a session): 3 packets, 260 bytes in 2 flow(s); packets by reason: failed the definition's match 2, not UDP 1; top server ports: udp/53 (2), tcp/443 (1).",
    );
  });
});
