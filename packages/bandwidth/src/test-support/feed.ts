import type { MessageAnalyzer } from "@tickscope/core";
import type { SceneEvent } from "./cube-scene.js";

/** Feeds scene events to an analyzer in order and returns its report. */
export function feed<Report>(analyzer: MessageAnalyzer<Report>, events: readonly SceneEvent[]): Report {
  for (const event of events) {
    if (event.kind === "packet") analyzer.onPacket?.(event.packet);
    else analyzer.onMessage(event.message);
  }
  return analyzer.finish();
}
