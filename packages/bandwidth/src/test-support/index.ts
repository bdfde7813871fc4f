export * from "./cube-scene.js";
export * from "./json-schema-check.js";
export * from "./feed.js";
export * from "./arena-match.js";
export * from "./recorded-events.js";
