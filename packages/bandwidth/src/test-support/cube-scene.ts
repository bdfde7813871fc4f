import type { GameMessage, PacketObservation } from "@tickscope/core";
import { LayoutReencoder, type MessageLayout, type WireType } from "../layout-reencoder.js";

/** Options of {@link generateCubeScene}. */
export interface CubeSceneOptions {
  cubes?: number;
  seconds?: number;
  hz?: number;
  rttMs?: number;
  /** Snapshot loss on the way to the client (deterministic pattern). */
  lossEvery?: number;
  /** Radius of the "player" that pushes cubes around. */
  pushRadius?: number;
  seed?: number;
}

/** One captured event of the scene, in capture order. */
export type SceneEvent = { kind: "packet"; packet: PacketObservation } | { kind: "message"; message: GameMessage };

const float3 = (names: readonly string[]): WireType => ({ kind: "struct", fields: names.map((name) => ({ name, type: { kind: "float32" } as WireType })) });

/** Layouts of the cube scene: full-float snapshots (server) and acks (client). */
export function cubeLayouts(): MessageLayout[] {
  return [
    {
      type: "snapshot",
      typeId: 1,
      typeIdBits: 8,
      fields: [
        { name: "sequence", type: { kind: "uint", bits: 16 } },
        {
          name: "cubes",
          type: {
            kind: "array",
            countBits: 10,
            entities: true,
            element: {
              kind: "struct",
              fields: [
                { name: "position", type: float3(["x", "y", "z"]) },
                { name: "orientation", type: float3(["x", "y", "z", "w"]) },
                { name: "velocity", type: float3(["x", "y", "z"]) },
                { name: "interacting", type: { kind: "bool" } },
              ],
            },
          },
        },
      ],
    },
    {
      type: "ack",
      typeId: 2,
      typeIdBits: 8,
      fields: [
        { name: "ack", type: { kind: "uint", bits: 16 } },
        { name: "ackBits", type: { kind: "uint", bits: 32 } },
      ],
    },
  ];
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f = Math.fround;
const ETHERNET = 14;
const IPV4 = 20;
const UDP = 8;

function wire(payloadLength: number): { wireLength: number; frameCount: number } {
  const frameCount = Math.max(1, Math.ceil((payloadLength + UDP) / 1480));
  return { wireLength: payloadLength + UDP + frameCount * (IPV4 + ETHERNET), frameCount };
}

/**
 * Deterministic rigid-body scene in the spirit of the classic snapshot
 * compression walk-through: `cubes` cubes on a grid, most at rest, a pusher
 * circling through them; the server sends a full-float snapshot (position,
 * orientation quaternion, linear velocity, interacting flag) at `hz`; the client
 * acks every snapshot it receives (ack + 32 ack bits), the ack reaching the
 * server one RTT after the snapshot left. Every `lossEvery`-th snapshot is lost.
 * Message sizes are the real sizes of the layouts of {@link cubeLayouts}.
 */
export function generateCubeScene(options: CubeSceneOptions = {}): { events: SceneEvent[]; snapshots: number; acks: number } {
  const cubes = options.cubes ?? 901;
  const seconds = options.seconds ?? 2;
  const hz = options.hz ?? 60;
  const rttUs = (options.rttMs ?? 100) * 1000;
  const lossEvery = options.lossEvery ?? 20;
  const pushRadius = options.pushRadius ?? 5;
  const random = mulberry32(options.seed ?? 1);
  const encoder = new LayoutReencoder(cubeLayouts());
  const side = Math.ceil(Math.sqrt(cubes));
  const state = Array.from({ length: cubes }, (_, index) => {
    // A random unit quaternion (resting cubes lie in any orientation).
    const u1 = random();
    const u2 = random() * Math.PI * 2;
    const u3 = random() * Math.PI * 2;
    const q = [Math.sqrt(1 - u1) * Math.sin(u2), Math.sqrt(1 - u1) * Math.cos(u2), Math.sqrt(u1) * Math.sin(u3), Math.sqrt(u1) * Math.cos(u3)] as [number, number, number, number];
    return {
      position: { x: f((index % side) * 2 - side), y: f(Math.floor(index / side) * 2 - side), z: f(0.5) },
      q,
      orientation: { x: f(q[0]), y: f(q[1]), z: f(q[2]), w: f(q[3]) },
      velocity: { x: f(0), y: f(0), z: f(0) },
      interacting: false,
    };
  });
  const startUs = 1_700_000_000_000_000;
  const tickUs = 1e6 / hz;
  const pending: { tUs: number; order: number; build: () => { message: GameMessage; payload: Uint8Array } }[] = [];
  const received: number[] = [];
  let order = 0;
  const ticks = Math.round(seconds * hz);
  for (let tick = 0; tick < ticks; tick++) {
    const tUs = startUs + tick * tickUs;
    const angle = (tick / hz) * 0.8;
    const pusher = { x: Math.cos(angle) * side * 0.5, y: Math.sin(angle) * side * 0.5 };
    for (const cube of state) {
      const dx = cube.position.x - pusher.x;
      const dy = cube.position.y - pusher.y;
      const near = Math.hypot(dx, dy) < pushRadius;
      cube.interacting = near;
      if (near) {
        cube.velocity = { x: f(dx * 0.8), y: f(dy * 0.8), z: f(0) };
      } else if (cube.velocity.x !== 0 || cube.velocity.y !== 0) {
        const vx = cube.velocity.x * 0.9;
        const vy = cube.velocity.y * 0.9;
        cube.velocity = Math.hypot(vx, vy) < 0.05 ? { x: f(0), y: f(0), z: f(0) } : { x: f(vx), y: f(vy), z: f(0) };
      }
      if (cube.velocity.x !== 0 || cube.velocity.y !== 0) {
        const x = Math.max(-side - 4, Math.min(side + 4, cube.position.x + cube.velocity.x / hz));
        const y = Math.max(-side - 4, Math.min(side + 4, cube.position.y + cube.velocity.y / hz));
        cube.position = { x: f(x), y: f(y), z: f(0.5) };
        // Tumble about the horizontal axis perpendicular to the motion.
        const speed = Math.hypot(cube.velocity.x, cube.velocity.y);
        const half = speed / hz / 2;
        const axis = [-cube.velocity.y / speed, cube.velocity.x / speed, 0];
        const d = [axis[0]! * Math.sin(half), axis[1]! * Math.sin(half), 0, Math.cos(half)];
        const [qx, qy, qz, qw] = cube.q;
        const next: [number, number, number, number] = [
          d[3]! * qx + d[0]! * qw + d[1]! * qz - d[2]! * qy,
          d[3]! * qy - d[0]! * qz + d[1]! * qw + d[2]! * qx,
          d[3]! * qz + d[0]! * qy - d[1]! * qx + d[2]! * qw,
          d[3]! * qw - d[0]! * qx - d[1]! * qy - d[2]! * qz,
        ];
        const norm = Math.hypot(...next);
        cube.q = next.map((component) => component / norm) as [number, number, number, number];
        cube.orientation = { x: f(cube.q[0]), y: f(cube.q[1]), z: f(cube.q[2]), w: f(cube.q[3]) };
      }
    }
    const sequence = tick & 0xffff;
    const fields = {
      sequence,
      cubes: state.map((cube) => ({
        position: { ...cube.position },
        orientation: { ...cube.orientation },
        velocity: { ...cube.velocity },
        interacting: cube.interacting,
      })),
    };
    const entities = state.map((cube, index) => ({ entityId: index, position: { ...cube.position } }));
    pending.push({
      tUs,
      order: order++,
      build: () => {
        const payload = encoder.encode("snapshot", fields, {}).slice();
        return {
          payload,
          message: {
            sessionId: "cube-client",
            direction: "serverToClient",
            tUs,
            packetIndex: 0,
            indexInPacket: 0,
            type: "snapshot",
            byteLength: payload.length,
            packetWireLength: wire(payload.length).wireLength,
            fields,
            roles: { sequence, sequenceBits: 16, entities },
          },
        };
      },
    });
    if (lossEvery > 0 && tick % lossEvery === lossEvery - 1) continue;
    received.push(sequence);
    // The client acks this snapshot; the ack is captured at the server one RTT later.
    let ackBits = 0;
    for (let bit = 0; bit < 32; bit++) if (received.includes(sequence - 1 - bit)) ackBits += 2 ** bit;
    const ackTUs = tUs + rttUs;
    const ackFields = { ack: sequence, ackBits };
    pending.push({
      tUs: ackTUs,
      order: order++,
      build: () => {
        const payload = encoder.encode("ack", ackFields, {}).slice();
        return {
          payload,
          message: {
            sessionId: "cube-client",
            direction: "clientToServer",
            tUs: ackTUs,
            packetIndex: 0,
            indexInPacket: 0,
            type: "ack",
            byteLength: payload.length,
            packetWireLength: wire(payload.length).wireLength,
            fields: ackFields,
            roles: { ack: sequence, ackBits, ackBitsWidth: 32 },
          },
        };
      },
    });
    if (received.length > 40) received.shift();
  }
  pending.sort((a, b) => a.tUs - b.tUs || a.order - b.order);
  const events: SceneEvent[] = [];
  let snapshots = 0;
  let acks = 0;
  pending.forEach((entry, packetIndex) => {
    const { message, payload } = entry.build();
    message.packetIndex = packetIndex;
    if (message.type === "snapshot") snapshots += 1;
    else acks += 1;
    const { wireLength, frameCount } = wire(payload.length);
    events.push({
      kind: "packet",
      packet: { sessionId: message.sessionId, direction: message.direction, tUs: message.tUs, packetIndex, wireLength, payloadLength: payload.length, frameCount, payload },
    });
    events.push({ kind: "message", message });
  });
  return { events, snapshots, acks };
}
