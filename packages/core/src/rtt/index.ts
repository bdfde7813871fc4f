export * from "./rtt-sample.js";
export * from "./quantile-sketch.js";
export * from "./acknowledged-channel.js";
export * from "./ack-rtt-sampler.js";
export * from "./echo-rtt-matcher.js";
export * from "./rtt-sampler.js";
export * from "./session-rtt.js";
