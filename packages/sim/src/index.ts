export { createRandom, hashString32, Xoshiro128, type Seed } from "./random.js";
export {
  JITTER_DISTRIBUTIONS,
  jitterMeanMs,
  jitterQuantileMs,
  PARETO_SHAPE,
  sampleJitterMs,
  standardNormalQuantile,
  type JitterDistribution,
} from "./distributions.js";
export {
  GilbertElliottLoss,
  gilbertElliottBadStateProbability,
  gilbertElliottFromLossAndBurst,
  gilbertElliottMeanBadRunPackets,
  gilbertElliottStationaryLoss,
  NO_LOSS,
  type GilbertElliottParameters,
} from "./gilbert-elliott.js";
export {
  FIBRE_KM_PER_MS,
  getProfile,
  NETWORK_PROFILE_JSON_SCHEMA,
  parseNetworkProfile,
  profileBaseDelayMs,
  profileToJson,
  PROFILE_NAMES,
  PROFILES,
  propagationDelayMs,
  QUEUE_SLOT_BYTES,
  resolveProfile,
  type NetworkProfile,
} from "./profiles.js";
export {
  parseNetem,
  toClumsySettings,
  toNetemCommand,
  type ClumsyOptions,
  type ClumsySettings,
  type LinkDirection,
  type NetemCommandOptions,
} from "./netem.js";
export { destinationPoint, EARTH_RADIUS_KM, greatCircleDistanceKm, type GeoPoint } from "./geography.js";
export {
  BottleneckLink,
  createTransmitResult,
  DelayModel,
  NetworkPath,
  pathParameters,
  type LossCause,
  type NetworkEventKind,
  type PathParameters,
  type ResolvedNetworkEvent,
  type TransmitResult,
} from "./network-path.js";
export { FileSink, MemorySink, TextSink, type ByteSink } from "./byte-sink.js";
export { temporaryPathOf } from "./pending-files.js";
export { createUdpEndpoint, type UdpEndpoint } from "./udp-endpoint.js";
export { finishChecksum, LINKTYPE_ETHERNET, MAX_UDP_PAYLOAD, PcapngWriter, sumWords, type PcapngWriterOptions } from "./pcapng-writer.js";
export {
  ARENA_LIMITS,
  ARENA_MESSAGE_TYPES,
  type ArenaDatagram,
  type ArenaEntityState,
  type ArenaHeader,
  type ArenaInputFrame,
  type ArenaMessage,
  type ArenaMessageType,
  type DatagramEncoder,
  type DatagramStream,
} from "./arena-types.js";
export { ARENA_DEFINITION } from "./arena-definition.js";
export { createArenaEncoder, type ArenaEncoder } from "./arena-encoder.js";
export { createRoleMappedEncoder, type RoleMappedEncoder } from "./role-mapped-encoder.js";
export {
  CHEAT_DEFAULT_INTENSITY,
  CHEAT_KINDS,
  DEFAULT_START_US,
  normalizeMatchOptions,
  type CheatKind,
  type CheatSpec,
  type MatchOptions,
  type NetworkEventScope,
  type NetworkEventSpec,
  type NormalizedMatchOptions,
  type RegionSpec,
  type ServerTickOptions,
} from "./match-options.js";
export {
  simulateMatch,
  type ClientCaptureSink,
  type ClockedCaptureSink,
  type MatchResult,
  type MatchSinks,
} from "./match-simulator.js";
export {
  simulateMatchToMemory,
  writeMatchCapture,
  matchOutputFiles,
  commitMatchOutputs,
  discardMatchOutputs,
  type ClockedCapturePath,
  type InMemoryMatch,
  type InMemoryMatchOptions,
  type MatchOutputPaths,
} from "./write-match-capture.js";
export {
  TruthRecorder,
  type CheatTruth,
  type MatchTruth,
  type NetworkEventTruth,
  type PacketTruth,
  type PlayerTruth,
  type ServerEventTruth,
  type ServerTruth,
  type TruthFormat,
  type TruthHeader,
  type TruthSummary,
} from "./truth.js";
