#!/usr/bin/env node
import { runCli } from "./run-cli.js";

// A reader that stops early (`tickscope decode ... | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of dying on an unhandled EPIPE. Other stream errors are
// one E_IO line.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    if (stream === process.stdout) process.stderr.write(`tickscope: E_IO: cannot write the output: ${error.code ?? error.message}\n`);
    process.exit(3);
  });
}

// no top-level await: the bundle (scripts/bundle-cli.mjs) is CommonJS, run with V8's code cache
void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((exitCode) => {
  process.exitCode = exitCode;
});
