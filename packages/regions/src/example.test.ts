import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const example = fileURLToPath(new URL("../examples/north-america-vs-europe.ts", import.meta.url));
const packageRoot = fileURLToPath(new URL("..", import.meta.url));

describe("README walk-through (examples/north-america-vs-europe.ts)", () => {
  it("runs and says what the README says it says", () => {
    const output = execFileSync(process.execPath, ["--import", "tsx", example], { cwd: packageRoot, encoding: "utf8", timeout: 60_000 });
    expect(output).toMatch(/^eu-central: 1500 players, RTT p50 19\.\d+ \/ p95 35\.\d+/m);
    expect(output).toMatch(/^na-east: 1500 players, RTT p50 24\.\d+ \/ p95 141\.\d+/m);
    expect(output).toMatch(/eu-central has a significantly lower median RTT than na-east: 4\.2 ms/);
    expect(output).toMatch(/eu-central has a significantly lower p95 RTT than na-east: 106\.3 ms/);
    expect(output).toMatch(/na-east: loss 1\.23% vs 0\.41% elsewhere; p95 burst length 3\. → Loss comes in bursts/);
    expect(output).toMatch(/na-east: p95 session RTT 141\.7 ms is 5\.9× the median/);
    expect(output).toMatch(/Worst AS: AS64510 \(na-east\)/);
    expect(output).toMatch(/add one: aws:us-west-1: p95 36\.\d+ ms/);
  }, 60_000);
});

describe("README saving and merging (examples/saving-and-merging.ts)", () => {
  it("merges two workers' states into the report of one pass", () => {
    const script = fileURLToPath(new URL("../examples/saving-and-merging.ts", import.meta.url));
    const output = execFileSync(process.execPath, ["--import", "tsx", script], { cwd: packageRoot, encoding: "utf8", timeout: 60_000 });
    expect(output).toMatch(/^merged report identical to one pass: true$/m);
    expect(output).toMatch(/^ranking: eu-west < na-east$/m);
  }, 60_000);
});
