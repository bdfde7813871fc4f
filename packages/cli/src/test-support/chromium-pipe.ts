import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/** Path of a headless Chromium on this machine, or undefined (browser tests then skip). */
export const CHROMIUM_PATH = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((path) => existsSync(path));

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

/**
 * A headless Chromium driven over the DevTools protocol on a pipe
 * (`--remote-debugging-pipe`: NUL-separated JSON on fds 3 and 4), so the
 * browser tests need no WebSocket client and no npm dependency. Network is
 * off: every host resolves to nothing.
 */
export class ChromiumPipe {
  private readonly child: ChildProcess;
  private readonly input: Writable;
  private readonly pending = new Map<number, Pending>();
  private readonly eventWaiters = new Map<string, (() => void)[]>();
  private readonly profileDirectory: string;
  private nextId = 1;
  private buffer = "";
  private sessionId: string | undefined;

  private constructor(executable: string) {
    this.profileDirectory = mkdtempSync(join(tmpdir(), "tickscope-chromium-"));
    this.child = spawn(
      executable,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--force-device-scale-factor=1",
        `--user-data-dir=${this.profileDirectory}`, "--remote-debugging-pipe", "about:blank",
      ],
      { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] },
    );
    this.input = this.child.stdio[3] as Writable;
    const output = this.child.stdio[4] as Readable;
    output.setEncoding("utf8");
    output.on("data", (chunk: string) => this.receive(chunk));
    this.child.on("exit", () => {
      for (const entry of this.pending.values()) entry.reject(new Error("chromium exited"));
      this.pending.clear();
    });
  }

  /** Starts Chromium and attaches to one page target. */
  static async launch(executable = CHROMIUM_PATH!): Promise<ChromiumPipe> {
    const browser = new ChromiumPipe(executable);
    const { targetId } = (await browser.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
    const { sessionId } = (await browser.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
    browser.sessionId = sessionId;
    await browser.send("Page.enable");
    await browser.send("Runtime.enable");
    return browser;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf("\u0000");
    while (end >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end)) as { id?: number; method?: string; result?: Record<string, unknown>; error?: { message: string } };
      this.buffer = this.buffer.slice(end + 1);
      end = this.buffer.indexOf("\u0000");
      if (message.id === undefined) {
        const waiters = message.method === undefined ? undefined : this.eventWaiters.get(message.method);
        if (waiters !== undefined) {
          this.eventWaiters.delete(message.method!);
          for (const waiter of waiters) waiter();
        }
        continue;
      }
      const entry = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) entry?.reject(new Error(message.error.message));
      else entry?.resolve(message.result ?? {});
    }
  }

  /** Sends one DevTools command (to the page once attached) and returns its result. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(this.sessionId === undefined || method.startsWith("Target.") ? {} : { sessionId: this.sessionId }) });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.input.write(`${message}\u0000`);
    });
  }

  /** Sets the viewport (CSS pixels). */
  async setViewport(width: number, height: number): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
  }

  /** Evaluates an expression in the page and returns its (JSON) value; awaits promises. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = (await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })) as { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (reply.exceptionDetails !== undefined) throw new Error(`page error: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`);
    return reply.result.value;
  }

  /** Navigates and resolves after the load event, with the wall time it took (ms). */
  async load(url: string): Promise<number> {
    const started = performance.now();
    const loaded = new Promise<void>((resolve) => {
      const waiters = this.eventWaiters.get("Page.loadEventFired") ?? [];
      waiters.push(resolve);
      this.eventWaiters.set("Page.loadEventFired", waiters);
    });
    await this.send("Page.navigate", { url });
    await loaded;
    return performance.now() - started;
  }

  /** PNG of the page region `clip` (CSS pixels, beyond the viewport too). */
  async screenshot(clip: { x: number; y: number; width: number; height: number }): Promise<Buffer> {
    const { data } = (await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip: { ...clip, scale: 1 } })) as { data: string };
    return Buffer.from(data, "base64");
  }

  /** Ends the browser and removes its profile. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once("exit", () => resolve());
    });
    this.send("Browser.close").catch(() => undefined);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(this.profileDirectory, { recursive: true, force: true });
  }
}
