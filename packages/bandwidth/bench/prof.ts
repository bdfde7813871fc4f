import { createBandwidthAnalyzer, LayoutReencoder } from "../src/index.ts";
import { cubeLayouts, feed, generateCubeScene } from "../src/test-support/index.ts";
const scene = generateCubeScene({ cubes: 901, seconds: 2 });
const t = performance.now();
feed(createBandwidthAnalyzer({ reencoder: new LayoutReencoder(cubeLayouts()), tolerances: { position: 0.001, orientation: 0.001, velocity: 0.01 } }), scene.events);
console.log("ms", performance.now() - t);
