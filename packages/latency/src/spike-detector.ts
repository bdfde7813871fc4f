/** The spike detector moved to core (one detector for latency and regions); re-exported for existing imports. */
export { SpikeDetector, type DetectedSpike, type SpikeDetectorOptions } from "@tickscope/core";
