export { BitReader, BitWriter, bytesToHex, hexToBytes } from "./bits.js";
export {
  compileProtocol,
  CompiledProtocol,
  type CompileProtocolOptions,
  type FieldsWanted,
  type DecodedDatagram,
  type DecodedMessageFields,
  type EncodeContext,
  type MessageToEncode,
} from "./compile-protocol.js";
export {
  FIELD_TYPE_NAMES,
  PROTOCOL_ROLE_NAMES,
  ProtocolDefinitionSchema,
  type BodyDefinition,
  type BytePartDefinition,
  type ConditionDefinition,
  type MatchConditionDefinition,
  type MatchOperandDefinition,
  type MatchValue,
  type PortSpec,
  type TrafficMatchDefinition,
  type FieldDefinition,
  type MessageDefinition,
  type ProtocolDefinition,
  type SelectDefinition,
  type TransformDefinition,
} from "./definition-schema.js";
export { DECODE_WORK_BASE, DECODE_WORK_PER_BYTE, decodeWorkBudget, MAX_DECODE_WORK } from "./decode-work-budget.js";
export { parseKeyFile, ProtocolKeyStore, reverseSessionId, type KeyFileEntry, type KeyProvider, type KeyRequest } from "./key-file.js";
export { IDENTIFIER_PATTERN, MAX_NESTING_DEPTH } from "./plan.js";
export {
  registerProtocolPlugin,
  unregisterProtocolPlugin,
  type FieldPlugin,
  type PluginContext,
  type ProtocolPlugin,
  type TransformPlugin,
} from "./plugins.js";
export { compileTrafficMatch, fixedFieldLocations, TrafficMatch, type FixedFieldLocation } from "./traffic-match.js";
export { findProtocolDefinitionProblems, jsonSyntaxError, parseProtocolDefinition, validateProtocolDefinition, type DefinitionProblem } from "./validate.js";
export { findJsonSyntaxProblem, lineAndColumn, type JsonSyntaxProblem } from "./json-syntax.js";
export { editDistance, nearestName } from "./nearest-name.js";
export { formatProtocolSummary, summarizeProtocol, type MessageSummary, type ProtocolSummary, type RoleSummary } from "./summarize.js";
export { decoderSource, encoderSource } from "./codegen.js";
export { rolesOnlyHints, type DecodedFields, type RolesOnlyHints } from "./roles-only-decode.js";
