import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { runCapturePipeline } from "@tickscope/capture";
import { createArenaEncoder, simulateMatchToMemory } from "@tickscope/sim";
import { createBandwidthAnalyzer } from "./bandwidth-analyzer.js";
import { COMPRESSION_WORKER_KIND, CompressionThread, CompressionThreadStatus, compressionWorkerFile, measureCompressionJob, type CompressionAnswer, type CompressionJob } from "./compression-thread.js";
import { serveCompressionJob } from "./compression-worker.js";
import { runCompressionTrials } from "./compression.js";
import { layoutsFromDefinition } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import type { PayloadSample } from "./packet-observer.js";
import { arenaDefinition } from "./test-support/index.js";

// The worker runs compiled JavaScript: the built dist/ (the root `test` script builds first).
const builtWorker = new URL("../dist/compression-worker.js", import.meta.url);
const built = existsSync(builtWorker);
if (!built) console.warn("compression-thread tests: dist/compression-worker.js is not built (run `pnpm build`); the worker-thread cases skip");

/** A sample of game-like payloads: a few templates with changing counters, some random bytes. */
function samples(count: number, seed = 1): PayloadSample[] {
  let state = seed >>> 0;
  const next = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  return Array.from({ length: count }, (_, index) => {
    const payload = new Uint8Array(40 + (next() % 120));
    for (let at = 0; at < payload.length; at++) payload[at] = at % 7 === 0 ? next() & 0xff : (index % 5) * 16 + (at % 13);
    return { streamKey: `s${index % 3}`, packetIndex: index * 3, tUs: index * 16_000, payload, firstMessageType: index % 2 === 0 ? "snapshot" : "input" };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (letting the event loop run) until the thread's status leaves `from`, or the time is up. */
async function statusLeaves(thread: CompressionThread, from: number, ms = 10_000): Promise<number> {
  const end = Date.now() + ms;
  while (thread.status === from && Date.now() < end) await sleep(5);
  return thread.status;
}

/** A worker module of our own (plain .mjs in a temporary directory), for the failure cases. */
function workerModule(directory: string, name: string, body: string): URL {
  const file = join(directory, name);
  writeFileSync(file, `import { workerData } from "node:worker_threads";\nconst { port, status } = workerData;\n${body}\n`);
  return pathToFileURL(file);
}

describe("CompressionThread: the compression trials on a helper thread", () => {
  it("from the TypeScript sources there is no worker module, so the trials stay on the calling thread", () => {
    // this test runs src/compression-thread.ts: no compression-worker.js next to it
    expect(compressionWorkerFile()).toBeUndefined();
    expect(CompressionThread.start(undefined)).toBeUndefined();
  });

  it.skipIf(!built)("gives the report the calling thread measures, measured by the worker (the owner measures nothing)", async () => {
    const job: CompressionJob = { samples: samples(900), populationPackets: 7200 };
    const thread = CompressionThread.start(builtWorker)!;
    expect(thread).toBeDefined();
    expect(thread.status).toBe(CompressionThreadStatus.idle);
    thread.submit(job);
    thread.submit({ samples: [], populationPackets: 0 }); // a second job is ignored
    expect(await statusLeaves(thread, CompressionThreadStatus.idle)).not.toBe(CompressionThreadStatus.idle);
    let measuredHere = 0;
    const report = thread.take(() => {
      measuredHere += 1;
      return runCompressionTrials(job.samples, job.populationPackets);
    });
    expect(measuredHere).toBe(0);
    expect(report).toEqual(runCompressionTrials(job.samples, job.populationPackets));
    expect(report.trials.length).toBe(4);
    // stopped: a later take measures on the calling thread
    expect(thread.take(() => measureCompressionJob({ samples: [], populationPackets: 0 })).sampledPackets).toBe(0);
  });

  it.skipIf(!built)("measures on the calling thread when the worker has not taken the job, and the worker then drops it", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-compression-thread-"));
    try {
      // a worker that never reads its port
      const thread = CompressionThread.start(workerModule(directory, "idle.mjs", "setInterval(() => {}, 1000);"))!;
      const job: CompressionJob = { samples: samples(50), populationPackets: 50 };
      thread.submit(job);
      let measuredHere = 0;
      const report = thread.take(() => {
        measuredHere += 1;
        return measureCompressionJob(job);
      });
      expect(measuredHere).toBe(1);
      expect(report).toEqual(runCompressionTrials(job.samples, job.populationPackets));
      expect(thread.status).toBe(CompressionThreadStatus.cancelled);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it.skipIf(!built)("measures on the calling thread when the worker failed, did not answer, died mid-job or never loaded", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-compression-thread-"));
    try {
      const job: CompressionJob = { samples: samples(40), populationPackets: 40 };
      const expected = runCompressionTrials(job.samples, job.populationPackets);
      const cases: [string, string, number][] = [
        // takes the job, answers with an error
        ["failed.mjs", `port.once("message", () => { Atomics.store(status, 0, 1); port.postMessage({ error: "boom" }); Atomics.store(status, 0, 3); Atomics.notify(status, 0); });`, 100],
        // says done without an answer on the port
        ["silent.mjs", `port.once("message", () => { Atomics.store(status, 0, 1); Atomics.store(status, 0, 2); Atomics.notify(status, 0); });`, 100],
        // takes the job and dies without a word: the owner stops waiting at the deadline
        ["dies.mjs", `port.once("message", () => { Atomics.store(status, 0, 1); process.exit(0); });`, 300],
      ];
      for (const [name, body, deadlineMs] of cases) {
        const thread = CompressionThread.start(workerModule(directory, name, body))!;
        thread.submit(job);
        await statusLeaves(thread, CompressionThreadStatus.idle);
        let measuredHere = 0;
        const started = Date.now();
        const report = thread.take(() => {
          measuredHere += 1;
          return measureCompressionJob(job);
        }, deadlineMs);
        expect(measuredHere, name).toBe(1);
        expect(report, name).toEqual(expected);
        expect(Date.now() - started, name).toBeLessThan(deadlineMs + 5_000);
      }
      // a module that does not exist: no thread, or one that never takes the job
      const missing = CompressionThread.start(pathToFileURL(join(directory, "missing.mjs")));
      if (missing !== undefined) {
        missing.submit(job);
        await sleep(50);
        expect(missing.take(() => measureCompressionJob(job))).toEqual(expected);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it.skipIf(!built)("close() without a report stops the worker and leaves a submitted job untaken", async () => {
    const thread = CompressionThread.start(builtWorker)!;
    thread.close();
    thread.close();
    thread.submit({ samples: samples(10), populationPackets: 10 });
    expect(thread.status).toBe(CompressionThreadStatus.cancelled);
    let measuredHere = 0;
    thread.take(() => {
      measuredHere += 1;
      return measureCompressionJob({ samples: [], populationPackets: 0 });
    });
    expect(measuredHere).toBe(1);
  });
});

describe("serveCompressionJob (the worker's side)", () => {
  const serve = (status: number, job: CompressionJob): { status: number; answer: CompressionAnswer | undefined } => {
    const channel = new MessageChannel();
    const cell = new Int32Array(new SharedArrayBuffer(4));
    cell[0] = status;
    serveCompressionJob({ kind: COMPRESSION_WORKER_KIND, port: channel.port2, status: cell }, job);
    const answer = receiveMessageOnPort(channel.port1)?.message as CompressionAnswer | undefined;
    channel.port1.close();
    return { status: cell[0]!, answer };
  };

  it("takes an idle job, posts the report and then marks it done", () => {
    const job: CompressionJob = { samples: samples(120), populationPackets: 400 };
    const served = serve(CompressionThreadStatus.idle, job);
    expect(served.status).toBe(CompressionThreadStatus.done);
    expect(served.answer).toEqual({ report: runCompressionTrials(job.samples, job.populationPackets) });
  });

  it("drops a job the owner cancelled", () => {
    const served = serve(CompressionThreadStatus.cancelled, { samples: samples(10), populationPackets: 10 });
    expect(served.status).toBe(CompressionThreadStatus.cancelled);
    expect(served.answer).toBeUndefined();
  });

  it("answers a job it cannot measure with the error and marks it failed", () => {
    const broken = [{ streamKey: "s", packetIndex: 0, tUs: 0, payload: null }] as unknown as PayloadSample[];
    const served = serve(CompressionThreadStatus.idle, { samples: broken, populationPackets: 1 });
    expect(served.status).toBe(CompressionThreadStatus.failed);
    expect(served.answer).toMatchObject({ error: expect.any(String) });
  });
});

describe("BandwidthAnalyzer with compressionThread", () => {
  const match = simulateMatchToMemory({ seed: 11, players: 4, durationMs: 4000 });
  type Create = typeof createBandwidthAnalyzer;

  async function analyze(
    options: { compressionThread?: boolean; beginFinish?: boolean; waitMs?: number; feedAfterBegin?: boolean; saveFirst?: boolean; disposeFirst?: boolean; disposeBeforeFeeding?: boolean },
    create: Create = createBandwidthAnalyzer,
  ): Promise<string> {
    const reencoder = new LayoutReencoder(layoutsFromDefinition(arenaDefinition() as never).layouts);
    // a sample of every datagram (level 0): a datagram fed late is always in it
    const analyzer = create({ reencoder, maxCompressionSamplePackets: 1e6, maxCompressionSampleBytes: 1e9, ...(options.compressionThread === undefined ? {} : { compressionThread: options.compressionThread }) });
    // no core to spare: the thread never starts
    if (options.disposeBeforeFeeding === true) analyzer.dispose();
    let lastPacket: Parameters<typeof analyzer.onPacket>[0] | undefined;
    await runCapturePipeline({
      sources: [match.pcapng],
      decoder: createArenaEncoder().protocol,
      serverPorts: [7777],
      // fed through a wrapper: the pipeline's finish() is not the analyzer's (this test finishes it)
      analyzers: [
        {
          name: "bandwidth, not finished",
          onPacket: (packet) => {
            analyzer.onPacket(packet);
            lastPacket = { ...packet, ...(packet.payload === undefined ? {} : { payload: packet.payload.slice() }) };
          },
          onMessage: (message) => analyzer.onMessage(message),
          onAnomaly: (anomaly) => analyzer.onAnomaly(anomaly),
          finish: () => null,
        },
      ],
    });
    if (options.beginFinish === true) {
      analyzer.beginFinish();
      analyzer.beginFinish();
      await sleep(options.waitMs ?? 20);
      // feeding again after the sample was handed over: the job is taken back, finish() measures here
      if (options.feedAfterBegin === true) {
        const payload = Uint8Array.from(lastPacket!.payload!, (byte, index) => (index === 0 ? byte ^ 0x5a : byte));
        analyzer.onPacket({ ...lastPacket!, packetIndex: lastPacket!.packetIndex + 1, tUs: lastPacket!.tUs + 1000, payload });
      }
    }
    if (options.saveFirst === true) analyzer.saveState();
    if (options.disposeFirst === true) {
      analyzer.dispose();
      analyzer.dispose();
    }
    return JSON.stringify(analyzer.finish());
  }

  it("gives the report of an analyzer without the thread, whether or not the trials ran elsewhere", async () => {
    const plain = await analyze({});
    // from the sources the thread has no worker module: the option changes nothing
    expect(await analyze({ compressionThread: true })).toBe(plain);
    expect(await analyze({ compressionThread: true, beginFinish: true })).toBe(plain);
    expect(await analyze({ compressionThread: true, saveFirst: true })).toBe(plain);
    expect(await analyze({ compressionThread: true, disposeFirst: true })).toBe(plain);
    // anything but true (a config file's "yes", say) is no thread
    expect(await analyze({ compressionThread: "yes" as unknown as boolean, beginFinish: true })).toBe(plain);
    const fedAgain = await analyze({ compressionThread: true, beginFinish: true, feedAfterBegin: true });
    expect(fedAgain).toBe(await analyze({ beginFinish: true, feedAfterBegin: true }));
    // the datagram fed after beginFinish() is in the sample the report measured (every datagram of this match is)
    expect(JSON.parse(fedAgain).compression.sampledPackets).toBe(JSON.parse(plain).compression.sampledPackets + 1);
  }, 60_000);

  it.skipIf(!built)("the built analyzer (its worker module beside it) gives the same report with the thread, handed over early or late, or taken back", async () => {
    const { createBandwidthAnalyzer: createBuilt } = (await import(new URL("../dist/index.js", import.meta.url).href)) as { createBandwidthAnalyzer: Create };
    const plain = await analyze({}, createBuilt);
    expect(plain).toBe(await analyze({}));
    // handed over with time to spare (the worker measures), at finish() (the worker or this thread), or taken back by more feeding
    expect(await analyze({ compressionThread: true, beginFinish: true, waitMs: 500 }, createBuilt)).toBe(plain);
    expect(await analyze({ compressionThread: true }, createBuilt)).toBe(plain);
    expect(await analyze({ compressionThread: true, saveFirst: true }, createBuilt)).toBe(plain);
    // let go of without a report (a failed pass): a later finish() measures here
    expect(await analyze({ compressionThread: true, beginFinish: true, waitMs: 50, disposeFirst: true }, createBuilt)).toBe(plain);
    expect(await analyze({ compressionThread: true, disposeBeforeFeeding: true, beginFinish: true, waitMs: 50 }, createBuilt)).toBe(plain);
    const fedAgain = await analyze({ compressionThread: true, beginFinish: true, waitMs: 200, feedAfterBegin: true }, createBuilt);
    expect(fedAgain).toBe(await analyze({ beginFinish: true, feedAfterBegin: true }));
    expect(JSON.parse(fedAgain).compression.sampledPackets).toBe(JSON.parse(plain).compression.sampledPackets + 1);
  }, 120_000);
});
