#!/usr/bin/env node
// Prints "N passed, N failed, N skipped" from vitest's JSON reporter output.
import { readFileSync, existsSync } from "node:fs";

const file = process.argv[2] ?? "test-results.json";
if (!existsSync(file)) {
  console.log("0 passed, 1 failed");
  console.error(`${file} was not written: the test run did not complete`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, "utf8"));
const passed = results.numPassedTests ?? 0;
const failed = (results.numFailedTests ?? 0) + (results.numFailedTestSuites ?? 0);
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
