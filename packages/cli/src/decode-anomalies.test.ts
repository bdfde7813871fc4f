import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "./exit-code.js";
import { runInMemory } from "./test-support/run.js";

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const directory = mkdtempSync(join(tmpdir(), "tickscope-decode-anomalies-"));
const capture = join(directory, "aead.pcapng");
const definition = join(examples, "aead-sequence64.json");
const wrongKeyDefinition = join(directory, "aead-wrong-key.json");

beforeAll(async () => {
  const simulate = await runInMemory(["simulate", "--protocol", definition, "--players", "2", "--duration", "2s", "--seed", "3", "--out", capture]);
  expect(simulate.code, simulate.stderr).toBe(ExitCode.ok);
  // The server-to-client key is wrong: every server datagram fails authentication.
  const wrong = JSON.parse(readFileSync(definition, "utf8")) as { transforms: { keys: Record<string, string> }[] };
  wrong.transforms[0]!.keys.serverToClient = "ff".repeat(32);
  writeFileSync(wrongKeyDefinition, JSON.stringify(wrong));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("decode --ndjson: decode anomalies are records in the stream", () => {
  it("emits each authentication failure as a kind:anomaly record with its frame number, as many as inspect counts", async () => {
    const decode = await runInMemory(["decode", capture, "--protocol", wrongKeyDefinition, "--ndjson"]);
    expect(decode.code, decode.stderr).toBe(ExitCode.ok);
    const records = decode.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    const anomalies = records.filter((record) => record.kind === "anomaly");
    const messages = records.filter((record) => record.kind === "message");
    expect(messages.length).toBeGreaterThan(0);
    expect(anomalies.length).toBeGreaterThan(0);
    expect(messages.length + anomalies.length).toBe(records.length);
    for (const anomaly of anomalies) {
      expect(anomaly).toMatchObject({ code: "E_DECRYPT_FAILED", direction: "serverToClient", frameNumber: expect.any(Number), detail: expect.any(String) });
      expect(anomaly.frameNumber).toBe((anomaly.packetIndex as number) + 1);
    }
    for (const message of messages) expect(message.frameNumber).toBe((message.packetIndex as number) + 1);
    // In capture order: frame numbers never go back.
    const frames = records.map((record) => record.frameNumber as number);
    expect(frames).toEqual([...frames].sort((left, right) => left - right));
    // stderr still names each, by frame number.
    expect(decode.stderr.trimEnd().split("\n")[0]).toMatch(new RegExp(`^anomaly E_DECRYPT_FAILED in frame ${anomalies[0]!.frameNumber}\\b`));

    const inspect = await runInMemory(["inspect", capture, "--protocol", wrongKeyDefinition, "--json"]);
    expect(inspect.code, inspect.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(inspect.stdout).decodeAnomalies).toEqual({ E_DECRYPT_FAILED: anomalies.length });
    const inspectText = await runInMemory(["inspect", capture, "--protocol", wrongKeyDefinition]);
    expect(inspectText.stdout).toContain(`decode anomalies: E_DECRYPT_FAILED × ${anomalies.length}`);
  });

  it("with the right keys the stream holds messages only", async () => {
    const decode = await runInMemory(["decode", capture, "--protocol", definition, "--ndjson"]);
    expect(decode.code, decode.stderr).toBe(ExitCode.ok);
    expect(decode.stderr).toBe("");
    expect(decode.stdout.trimEnd().split("\n").every((line) => (JSON.parse(line) as { kind: string }).kind === "message")).toBe(true);
  });
});
