import type { Command } from "commander";

/** Registers `tickscope inspect` (placeholder until the capture pipeline lands). */
export function registerInspectCommand(program: Command): void {
  program.command("inspect").description("summarize captures: packets, link types, flows, anomalies").argument("<capture...>");
}
