export { runCli, ExitCode, type CliStreams } from "./run-cli.js";
export { createProgram } from "./program.js";
export { TOOL_VERSION } from "./version.js";
