export { InferenceCollector, isServicePort, type InferenceCollectorOptions, type InferenceDatagram, type InferenceFlow } from "./inference-input.js";
export { inferProtocol, type InferProtocolOptions, type ProtocolInference } from "./infer-protocol.js";
export { confidenceOf, type ClockUnit, type InferredField, type InferredRole } from "./inferred-field.js";
export { draftDefinition, type DraftDefinitionOptions } from "./draft-definition.js";
export { inferLayout, type LayoutOptions, type LayoutResult } from "./layout-inference.js";
export { log10NullProbability, MAX_LOG10_NULL_PROBABILITY, testEvidence, type TestEvidence } from "./null-hypothesis.js";
export { fieldValue, partsDifference, readFieldParts, shapeLabel, type FieldShape } from "./field-shape.js";
export { clockUnitOf } from "./clock-unit.js";
export { formatInference, inferenceToJson } from "./inference-summary.js";
