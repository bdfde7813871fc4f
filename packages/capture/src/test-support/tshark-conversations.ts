import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Folder of this package's own expectation files (tshark/capinfos outputs, never captures). */
export const fixturesDirectory = join(dirname(fileURLToPath(import.meta.url)), "..", "test-fixtures");

/** One row of `tshark -q -z conv,udp`: `a <-> b`, frames/bytes per direction. */
export interface TsharkConversation {
  a: string;
  b: string;
  /** Frames b → a (tshark's `<-` column). */
  bToAFrames: number;
  /** Bytes b → a with the unit tshark printed. */
  bToABytes: { value: number; unit: string };
  /** Frames a → b (tshark's `->` column). */
  aToBFrames: number;
  /** Bytes a → b. */
  aToBBytes: { value: number; unit: string };
}

/** Parses a tshark 4.x `conv,udp` table. */
export function parseTsharkConversations(text: string): TsharkConversation[] {
  const rows: TsharkConversation[] = [];
  const pattern = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s/;
  for (const line of text.split("\n")) {
    const match = pattern.exec(line);
    if (match === null) continue;
    rows.push({
      a: match[1],
      b: match[2],
      bToAFrames: Number(match[3]),
      bToABytes: { value: Number(match[4]), unit: match[5] },
      aToBFrames: Number(match[6]),
      aToBBytes: { value: Number(match[7]), unit: match[8] },
    });
  }
  return rows;
}

/** Converts our `ip:port` / `[ipv6]:port` to tshark's unbracketed form. */
export function toTsharkEndpoint(endpoint: string): string {
  return endpoint.startsWith("[") ? endpoint.slice(1).replace("]:", ":") : endpoint;
}

/** The conversation expectation for a shared capture: tshark's file beside it, else ours. */
export function conversationExpectation(sharedDirectory: string, capture: string): string | undefined {
  const shared = join(sharedDirectory, `${capture}.conv-udp.txt`);
  if (existsSync(shared)) return readFileSync(shared, "utf8");
  const own = join(fixturesDirectory, `${capture}.conv-udp.txt`);
  return existsSync(own) ? readFileSync(own, "utf8") : undefined;
}

/** True when `bytes` prints as `value unit` in tshark's (SI, integer) size format. */
export function matchesTsharkSize(bytes: number, printed: { value: number; unit: string }): boolean {
  if (printed.unit === "bytes") return bytes === printed.value;
  const scale = printed.unit === "kB" ? 1e3 : printed.unit === "MB" ? 1e6 : 1e9;
  return Math.floor(bytes / scale) === printed.value || Math.round(bytes / scale) === printed.value;
}
