// Runs one bundled entry of the command line (dist/bundle/<name>.bundle.js, a CommonJS file) with
// V8's code cache, the bytecode that a training run at build time recorded next to it
// (scripts/bundle-cli.mjs). Compiling the ~3.5 MB bundle and then each function it calls was most of
// the fixed cost of a small `analyze` (issue 16); with the cache V8 deserializes the bytecode instead.
//
// Robust by construction: the cache is only a hint. Its file name carries the bundle's build id
// (the last line of the bundle, a hash of its content), so a rebuilt bundle never meets an old
// cache; V8 itself rejects a cache from another V8 version or flag set (then it compiles as usual).
// The bundle runs the same code either way, so reports cannot depend on it.
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

/** The build id the bundler appended to a bundle (`//# tickscope-build=<hex>`), or undefined. */
function buildIdOf(source) {
  const match = /\/\/# tickscope-build=([0-9a-f]+)\s*$/.exec(source.slice(-100));
  return match === null ? undefined : match[1];
}

/**
 * The cache profile of this run: the command a bin run executes (its first positional argument,
 * e.g. `analyze`), so a small `--version` does not deserialize the bytecode of every analysis.
 */
function profileOf(entry, args) {
  if (entry !== "bin") return "run";
  const command = args.find((arg) => !arg.startsWith("-"));
  return command === "analyze" ? "analyze" : "start";
}

/** Path of the cache of `entry` for `profile` under build `buildId`. */
function cachePathOf(directory, entry, buildId, profile) {
  return join(directory, `${entry}.${buildId}.${profile}.code-cache`);
}

/** Reads a file, or undefined when it is not there (a bundle without caches still runs). */
function readOptional(path) {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Runs `<directory>/<entry>.bundle.js` as a CommonJS module compiled with its code cache.
 * `TICKSCOPE_TRAIN_CODE_CACHE=1` (build time only) writes the cache instead: at exit, and in a worker
 * thread just before each message it posts (the main thread may terminate it right after).
 */
function runWithCodeCache(directory, entry) {
  const file = join(directory, `${entry}.bundle.js`);
  const source = readFileSync(file, "utf8");
  const buildId = buildIdOf(source);
  const profile = profileOf(entry, process.argv.slice(2));
  const cachePath = buildId === undefined ? undefined : cachePathOf(directory, entry, buildId, profile);
  const training = process.env.TICKSCOPE_TRAIN_CODE_CACHE === "1" && cachePath !== undefined;
  const cachedData = training || cachePath === undefined ? undefined : readOptional(cachePath);
  // a shebang line (kept from dist/bin.js) becomes a comment of the same length
  const body = source.startsWith("#!") ? `//${source.slice(2)}` : source;
  const wrapper = `(function (exports, require, module, __filename, __dirname) { "use strict"; ${body}\n})`;
  const script = new Script(wrapper, {
    filename: file,
    cachedData,
    // the fleet's Redis queue (bullmq) stays outside the bundle and is imported at run time
    importModuleDynamically: (specifier) => import(specifier),
  });
  if (process.env.TICKSCOPE_CODE_CACHE_DEBUG === "1") {
    process.stderr.write(`code cache ${entry}/${profile}: ${cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "accepted"}\n`);
  }
  if (training) {
    const record = () => writeFileSync(cachePath, script.createCachedData());
    process.on("exit", record);
    const { parentPort } = require("node:worker_threads");
    if (parentPort !== null) {
      const post = parentPort.postMessage.bind(parentPort);
      parentPort.postMessage = (message, transfer) => {
        record();
        return post(message, transfer);
      };
    }
  }
  const bundleModule = { exports: {} };
  script.runInThisContext()(bundleModule.exports, createRequire(file), bundleModule, file, dirname(file));
}

module.exports = { runWithCodeCache, buildIdOf, profileOf };
