import { createCipheriv } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot } from "@tickscope-test/support";
import { createUdpEndpoint, MemorySink, PcapngWriter } from "@tickscope/sim";
import { undecryptedReason } from "./analyses/undecoded-traffic.js";
import { missingKeyNote } from "./formats/markdown-format.js";
import { runAnalyze } from "./run-analyze.js";

const PROTOCOL_ID = 0x1122334455667788n;
const T0 = 1_700_000_000_000_000;
const directory = mkdtempSync(join(tmpdir(), "tickscope-undecrypted-"));
const capturePath = join(directory, "netcode.pcapng");
const handshakeCapturePath = join(directory, "netcode-with-requests.pcapng");
const netcodePath = join(repositoryRoot, "examples", "protocols", "netcode.json");
const key = (byte: number): Buffer => Buffer.alloc(32, byte);
const SESSION = "udp:10.0.0.2:50000-10.0.0.1:40000";

/** Independent netcode packet writer (mas-bandwidth/netcode STANDARD.md): prefix, LE sequence, ChaCha20-Poly1305 payload. */
function netcodePacket(packetType: number, sequence: bigint, plain: Uint8Array, packetKey: Uint8Array): Uint8Array {
  const sequenceBytes: number[] = [];
  let rest = sequence;
  do {
    sequenceBytes.push(Number(rest & 0xffn));
    rest >>= 8n;
  } while (rest > 0n);
  const prefix = (sequenceBytes.length << 4) | packetType;
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(sequence, 4);
  const aad = Buffer.alloc(22);
  aad.write("NETCODE 1.02\0", 0, "ascii");
  aad.writeBigUInt64LE(PROTOCOL_ID, 13);
  aad[21] = prefix;
  const cipher = createCipheriv("chacha20-poly1305", packetKey, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plain.length });
  return new Uint8Array(Buffer.concat([Buffer.from([prefix, ...sequenceBytes]), cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
}

/** A netcode connection request (packet type 0, not encrypted): prefix 0, version, protocol id, expiry, nonce, token. */
function connectionRequest(): Uint8Array {
  const packet = Buffer.alloc(1 + 13 + 8 + 8 + 24 + 1024);
  packet.write("NETCODE 1.02\0", 1, "ascii");
  packet.writeBigUInt64LE(PROTOCOL_ID, 14);
  packet.writeBigUInt64LE(1_700_000_100n, 22);
  return new Uint8Array(packet);
}

/** One client: `requests` connection requests (readable without a key), then 200 + 200 encrypted keep-alives / payloads. */
function netcodeCapture(requests: number): Uint8Array {
  const client = createUdpEndpoint("10.0.0.2", 50000);
  const server = createUdpEndpoint("10.0.0.1", 40000);
  const sink = new MemorySink();
  const writer = new PcapngWriter(sink);
  for (let request = 0; request < requests; request++) writer.writeUdp(T0 + request * 100_000, client, server, connectionRequest());
  for (let round = 0; round < 200; round++) {
    const tUs = T0 + 1_000_000 + round * 50_000;
    writer.writeUdp(tUs, client, server, netcodePacket(4, BigInt(round + 1), new Uint8Array(8).fill(round & 0xff), key(0x11)));
    writer.writeUdp(tUs + 20_000, server, client, netcodePacket(5, BigInt(round + 1), new Uint8Array(40).fill(round & 0xff), key(0x12)));
  }
  writer.close();
  return sink.toUint8Array();
}

beforeAll(() => {
  writeFileSync(capturePath, netcodeCapture(0));
  writeFileSync(handshakeCapturePath, netcodeCapture(5));
  writeFileSync(join(directory, "right.keys"), `${SESSION} clientToServer ${key(0x11).toString("hex")}\n${SESSION} serverToClient ${key(0x12).toString("hex")}\n`);
  writeFileSync(join(directory, "wrong.keys"), `${SESSION} clientToServer ${key(0x31).toString("hex")}\n${SESSION} serverToClient ${key(0x32).toString("hex")}\n`);
});

async function answers(keysPath?: string, path = capturePath) {
  const result = await runAnalyze({
    inputs: [{ path }],
    analyses: ["latency", "loss"],
    protocolPath: netcodePath,
    ...(keysPath === undefined ? {} : { keysPath: join(directory, keysPath) }),
    threads: 1,
    recordedOptions: { keyFile: keysPath === undefined ? null : join(directory, keysPath) },
  });
  const section = (name: string) => result.sections.find((entry) => entry.analysis === name)!.answer;
  return { result, latency: section("latency"), loss: section("loss") };
}

describe("an encrypted definition that could not be decrypted: the answers say why, not 'no ack/sequence role'", () => {
  const missingKey =
    "400 datagram(s) could not be decrypted because no key file was given (--keys) and the protocol definition encrypts with an AEAD transform that needs one (or inline keys in the definition) (E_KEY_MISSING)";

  it("without --keys: latency and loss say no game message could be decoded because no key was given (E_KEY_MISSING)", async () => {
    const { result, latency, loss } = await answers();
    expect(result.decodeAnomalies).toEqual({ E_KEY_MISSING: 400 });
    const reason = `no game message could be decoded — ${missingKey}`;
    expect(loss).toEqual([`Not measured: ${reason}. Loss needs a sequence (or ack) role to know what was sent.`]);
    expect(latency[0]).toBe(`Not measured: ${reason}. RTT needs ack, echo or reported-RTT roles and jitter a sendTime role, so no latency spike could be looked for.`);
    for (const answer of [...latency, ...loss]) expect(answer).not.toMatch(/the definition has no/);
    // the report's key note and the answers name the same cause
    expect(missingKeyNote(result)).toBe(`E_KEY_MISSING: ${missingKey.replace(" (E_KEY_MISSING)", "")}; a wrong key would show as E_DECRYPT_FAILED.`);
  });

  it("without --keys, with unencrypted connection requests decoded: the answers lead with the key, not '0% of 1 expected lost'", async () => {
    const { result, latency, loss } = await answers(undefined, handshakeCapturePath);
    expect(result.decodeAnomalies).toEqual({ E_KEY_MISSING: 400 });
    const reason = `the game's encrypted datagrams could not be decoded (only 5 message(s) readable without them were) — ${missingKey}`;
    // Connection requests carry no sequence (0 sequence bytes): the 5 readable messages give loss nothing to count.
    expect(loss[0]).toBe(`Not measured: ${reason}. Loss needs a sequence (or ack) role to know what was sent.`);
    expect(latency[0]).toBe(`Not measured: ${reason}. RTT needs ack, echo or reported-RTT roles and jitter a sendTime role, so no latency spike could be looked for.`);
    for (const answer of [...latency, ...loss]) expect(answer).not.toMatch(/the definition has no/);
  });

  it("with a wrong key file: the key did not verify (E_DECRYPT_FAILED)", async () => {
    const { result, latency, loss } = await answers("wrong.keys");
    expect(result.decodeAnomalies).toEqual({ E_DECRYPT_FAILED: 400 });
    const reason =
      "no game message could be decoded — 400 datagram(s) did not verify with the given key (E_DECRYPT_FAILED: a wrong key, or key settings that do not match the definition's transform)";
    expect(loss).toEqual([`Not measured: ${reason}. Loss needs a sequence (or ack) role to know what was sent.`]);
    expect(latency[0]).toMatch(new RegExp(`^Not measured: ${reason.replace(/[()]/g, "\\$&")}\\. RTT needs`));
  });

  it("with the right key file: loss is measured and no decryption reason is given", async () => {
    const { result, latency, loss } = await answers("right.keys");
    expect(result.decodeAnomalies).toEqual({});
    expect(loss[0]).toMatch(/^0% of 400 expected sequence numbers lost overall/);
    for (const answer of [...latency, ...loss]) expect(answer).not.toMatch(/decrypt|Not measured/);
  });
});

describe("undecryptedReason: the one reason every answer gives for undecrypted traffic", () => {
  it("is undefined without decryption failures or without decode counts", () => {
    expect(undecryptedReason(undefined)).toBeUndefined();
    expect(undecryptedReason({ definition: undefined })).toBeUndefined();
    expect(undecryptedReason({ definition: undefined, decodeAnomalies: { E_TRUNCATED: 3 }, decodedMessages: 0 })).toBeUndefined();
  });

  it("names a key file without the sessions' keys, and is 'mostly' only when failures outnumber decoded messages", () => {
    const named = undecryptedReason({ definition: undefined, keyFile: "game.keys", decodeAnomalies: { E_KEY_MISSING: 3 }, decodedMessages: 1000 })!;
    expect(named).toEqual({
      text: "the game's encrypted datagrams could not be decoded (only 1000 message(s) readable without them were) — 3 datagram(s) could not be decrypted because the key file game.keys has no key for these sessions and directions (check its session ids and the transform's key name) (E_KEY_MISSING)",
      mostly: false,
    });
    const unknown = undecryptedReason({ definition: undefined, decodeAnomalies: { E_KEY_MISSING: 2, E_DECRYPT_FAILED: 1 } })!;
    expect(unknown.mostly).toBe(true);
    expect(unknown.text).toBe(
      "the game's encrypted datagrams could not be decoded — 2 datagram(s) could not be decrypted because no key was given for the definition's AEAD transform (--keys or inline keys) (E_KEY_MISSING); " +
        "1 datagram(s) did not verify with the given key (E_DECRYPT_FAILED: a wrong key, or key settings that do not match the definition's transform)",
    );
  });
});
