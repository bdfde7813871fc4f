import { describe, expect, it } from "vitest";
import { loadExample } from "../test-support/protocols.js";
import { compileProtocol, editDistance, findJsonSyntaxProblem, findProtocolDefinitionProblems, nearestName, parseProtocolDefinition } from "./index.js";

const badDefinition = {
  name: "demo",
  body: { repeat: "untilEnd" },
  messages: [
    {
      name: "a",
      id: 1,
      fields: [
        { name: "t", type: "u32", role: "sendTim" },
        { name: "x", type: "f33" },
        { name: "y", type: "u8", role: "zzzzzzzz" },
      ],
    },
  ],
};

describe("protocol definition problems", () => {
  it("lists every schema problem, with the nearest valid role, type or property", () => {
    const problems = findProtocolDefinitionProblems(badDefinition);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: "/messages/0/fields/0/role", message: '"sendTim" is not a valid role; did you mean "sendTime"?' },
        { path: "/messages/0/fields/1/type", message: '"f33" is not a valid type; did you mean "f32"?' },
        { path: "/messages/0/id", message: expect.stringMatching(/^unknown property "id" \(allowed: name, .*fields/) },
      ]),
    );
    const unknownRole = problems.find((problem) => problem.path === "/messages/0/fields/2/role");
    expect(unknownRole?.message).toMatch(/^"zzzzzzzz" is not a valid role \(one of: sequence, ack, .*sendTime/);
    expect(problems).toHaveLength(4);
    expect(() => compileProtocol(badDefinition)).toThrow(/^\/messages\/0\/fields\/\d\/(role|type): .*; .*\(4 problems\)$/);
    expect(() => compileProtocol(badDefinition)).not.toThrow(/more problem/);
  });

  it("names a missing property once, and finds nothing wrong in a valid definition", () => {
    const { body: _body, ...withoutBody } = badDefinition;
    expect(findProtocolDefinitionProblems({ name: "x", messages: [] })).toContainEqual({ path: "/body", message: 'required property "body" is missing' });
    expect(findProtocolDefinitionProblems(withoutBody).filter((problem) => problem.path === "/body")).toHaveLength(1);
    expect(findProtocolDefinitionProblems(loadExample("arena"))).toEqual([]);
    expect(findProtocolDefinitionProblems({ name: "x", body: { repeat: "once" }, messages: [{ name: "m", fields: [{ name: "t", type: "u32" }] }] })).toEqual([
      { path: "/body", message: "a body needs `select` (or `switch`)" },
    ]);
  });

  it("suggests a near name only when it is near", () => {
    expect(editDistance("sendTim", "sendTime")).toBe(1);
    expect(editDistance("psoition", "position")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(nearestName("SENDTIME", ["sendTime", "recvTime"])).toBe("sendTime");
    expect(nearestName("positoin", ["position", "rotation"])).toBe("position");
    expect(nearestName("banana", ["sequence", "ack"])).toBeUndefined();
  });

  it("points at a JSON syntax error by line and column", () => {
    const text = '{ "name": "x",\n  "messages": [ ,\n] }';
    expect(findJsonSyntaxProblem(text)).toEqual({ offset: 31, line: 2, column: 17, message: 'expected a value, found ","' });
    expect(() => parseProtocolDefinition(text)).toThrow('not valid JSON: line 2, column 17: expected a value, found ","');
    expect(() => compileProtocol(text)).toThrow(/line 2, column 17/);
    expect(findJsonSyntaxProblem('{"a": 1}')).toBeUndefined();
    expect(findJsonSyntaxProblem('[1, 2, {"b": [true, false, null, -1.5e3, "\\u00e9\\n"]}]')).toBeUndefined();
    expect(findJsonSyntaxProblem('{"a": 1,}')?.message).toBe('expected a property name in double quotes, found "}"');
    expect(findJsonSyntaxProblem('{"a" 1}')?.message).toBe('expected ":" after the property name, found "1"');
    expect(findJsonSyntaxProblem('{"a": 1')).toMatchObject({ line: 1, column: 8, message: "unexpected end of text (1 unclosed bracket)" });
    expect(findJsonSyntaxProblem('{"a": "b}')).toMatchObject({ column: 7, message: 'string is never closed (missing ")' });
    expect(findJsonSyntaxProblem('{"a": "\\x"}')?.message).toBe('invalid escape "\\\\x" inside a string');
    expect(findJsonSyntaxProblem('{"a": 1} x')?.message).toBe('unexpected "x" after the end of the document');
    expect(findJsonSyntaxProblem("[01]")?.message).toBe('expected "," or "]", found "1"');
    expect(findJsonSyntaxProblem("")?.message).toBe("the text is empty");
    expect(findJsonSyntaxProblem('["a\u0001"]')?.message).toMatch(/^control character/);
  });
});
