import type { MatchConditionDefinition, MatchOperandDefinition, PortSpec, ProtocolDefinition, TrafficMatchDefinition } from "./definition-schema.js";
import type { FieldPlan, RolePlan, TransformPlan } from "./plan.js";
import { planProtocolDefinition } from "./validate.js";

/** One role-tagged field in a summary. */
export interface RoleSummary {
  role: string;
  /** Field path, e.g. `snapshot.entities[].x`. */
  field: string;
}

/** One message type in a summary. */
export interface MessageSummary {
  name: string;
  reliable: boolean | undefined;
  channel: string | number | undefined;
  /** Number of fields (frame header and type prefixes included, nested counted). */
  fieldCount: number;
  /** Role-tagged fields. */
  roles: RoleSummary[];
}

/** What `tickscope protocol check` prints: messages, roles and transforms of a definition. */
export interface ProtocolSummary {
  name: string;
  version: string | undefined;
  headerRoles: RoleSummary[];
  transforms: string[];
  messages: MessageSummary[];
  /** The `match` section in words (which traffic is the game's); absent without one. */
  match?: string;
  /** Header fields whose value is the number of messages in the datagram (a body's `count`); absent without one. */
  messageCountFields?: string[];
}

function roleList(plan: RolePlan): RoleSummary[] {
  const roles: RoleSummary[] = plan.scalars.map((scalar) => ({ role: scalar.role, field: scalar.field.path }));
  for (const entity of plan.entityArrays) {
    for (const item of entity.entity) roles.push({ role: `entities[].${item.role}`, field: item.field.path });
  }
  for (const path of plan.inputCountArrays) roles.push({ role: "inputCount", field: path.join(".") });
  for (const spec of plan.elementArrays) for (const item of spec.element) roles.push({ role: `elements[].${item.role}`, field: item.field.path });
  return roles;
}

function countFields(fields: FieldPlan[]): number {
  let count = 0;
  const visit = (node: FieldPlan["node"]): void => {
    if (node.kind === "struct") node.fields.forEach((field) => { count += 1; visit(field.node); });
    else if (node.kind === "array") visit(node.of);
    else if (node.kind === "switch") {
      node.cases.forEach((item) => visit(item.struct));
      if (node.fallback !== undefined) visit(node.fallback);
    }
  };
  for (const field of fields) {
    count += 1;
    visit(field.node);
  }
  return count;
}

function describePorts(ports: readonly PortSpec[]): string {
  return ports.map((port) => (typeof port === "number" ? String(port) : `${port.from}-${port.to}`)).join(", ");
}

function describeOperand(operand: MatchOperandDefinition): string {
  const subject = operand.field ?? `bytes ${operand.offset}..${(operand.offset ?? 0) + (operand.bytes ?? 1) - 1}`;
  const tests: string[] = [];
  if (operand.mask !== undefined) tests.push(`& ${operand.mask}`);
  if (operand.equals !== undefined) tests.push(`= ${operand.equals}`);
  if (operand.notEquals !== undefined) tests.push(`≠ ${operand.notEquals}`);
  if (operand.in !== undefined) tests.push(`in [${operand.in.join(", ")}]`);
  if (operand.notIn !== undefined) tests.push(`not in [${operand.notIn.join(", ")}]`);
  if (operand.ascii !== undefined) tests.push(`is ${operand.ascii.map((tag) => `"${tag}"`).join("|")}`);
  if (operand.min !== undefined) tests.push(`≥ ${operand.min}`);
  if (operand.max !== undefined) tests.push(`≤ ${operand.max}`);
  return `${subject} ${tests.join(" ")}`.trim();
}

function describeCondition(condition: MatchConditionDefinition): string {
  const text = describeOperand(condition) + (condition.fitsFrom === undefined ? "" : ` (fits from byte ${condition.fitsFrom})`);
  return condition.when === undefined ? text : `${text} when ${describeOperand(condition.when)}`;
}

/** The match section in words, e.g. `server ports 7777; never ports 0-1023; ≥ 20 bytes; protocolId = 1095912769; accepted after 1 datagram(s)`. */
function describeMatch(match: TrafficMatchDefinition): string {
  const parts: string[] = [];
  if (match.ports !== undefined && match.ports.length > 0) parts.push(`server ports ${describePorts(match.ports)}`);
  if (match.excludePorts !== undefined && match.excludePorts.length > 0) parts.push(`never ports ${describePorts(match.excludePorts)}`);
  if (match.minLength !== undefined) parts.push(`≥ ${match.minLength} bytes`);
  if (match.maxLength !== undefined) parts.push(`≤ ${match.maxLength} bytes`);
  for (const condition of match.datagram ?? []) parts.push(describeCondition(condition));
  for (const condition of match.flow ?? []) parts.push(`flow: ${describeCondition(condition)}`);
  parts.push(`flow accepted after ${match.acceptAfter ?? 1} matching datagram(s)`);
  return parts.join("; ");
}

function describeTransform(transform: TransformPlan): string {
  if (transform.kind === "xor") return `xor keyed by ${transform.ref.name}`;
  if (transform.kind === "aead") return `${transform.algorithm} (key name ${transform.keyName})`;
  return `plugin ${transform.plugin}`;
}

/** Validates a definition and summarizes its messages, roles and transforms (throws `E_DEFINITION_INVALID`). */
export function summarizeProtocol(definition: ProtocolDefinition | unknown): ProtocolSummary {
  const plan = planProtocolDefinition(definition);
  const transforms = plan.transforms.map(describeTransform);
  for (const message of plan.messages) {
    for (const transform of message.body?.transforms ?? []) {
      const text = `${describeTransform(transform)} (per frame)`;
      if (!transforms.includes(text)) transforms.push(text);
    }
  }
  const messageCountFields = [...new Set(plan.messages.flatMap((message) => (message.body?.count === undefined ? [] : [`header.${message.body.count.name}`])))];
  return {
    name: plan.name,
    version: (definition as ProtocolDefinition).version,
    headerRoles: roleList(plan.headerRoles),
    transforms,
    messages: plan.messages.map((message) => ({
      name: message.name,
      reliable: message.reliable,
      channel: message.channel,
      fieldCount: countFields([...message.framePrefix, ...message.fields]),
      roles: roleList(message.roles),
    })),
    ...((definition as ProtocolDefinition).match === undefined ? {} : { match: describeMatch((definition as ProtocolDefinition).match!) }),
    ...(messageCountFields.length === 0 ? {} : { messageCountFields }),
  };
}

/** The summary as human-readable lines. */
export function formatProtocolSummary(summary: ProtocolSummary): string {
  const lines = [`protocol ${summary.name}${summary.version === undefined ? "" : ` ${summary.version}`}: ${summary.messages.length} message types`];
  if (summary.headerRoles.length > 0) lines.push(`  header roles: ${summary.headerRoles.map((item) => `${item.role}=${item.field}`).join(", ")}`);
  if (summary.transforms.length > 0) lines.push(`  transforms: ${summary.transforms.join("; ")}`);
  if (summary.messageCountFields !== undefined) lines.push(`  messages per datagram: counted by ${summary.messageCountFields.join(", ")} (E_COUNT_MISMATCH when the wire disagrees)`);
  lines.push(`  match: ${summary.match ?? "none: every UDP datagram is decoded (add a match section to tell the game's traffic from the rest)"}`);
  for (const message of summary.messages) {
    const flags = [message.reliable === undefined ? "" : message.reliable ? "reliable" : "unreliable", message.channel === undefined ? "" : `channel ${message.channel}`]
      .filter((item) => item !== "")
      .join(", ");
    const roles = message.roles.map((item) => `${item.role}=${item.field}`).join(", ");
    lines.push(`  ${message.name}${flags === "" ? "" : ` (${flags})`}: ${message.fieldCount} fields${roles === "" ? "" : `; roles: ${roles}`}`);
  }
  return lines.join("\n");
}
