import { createCipheriv, createDecipheriv } from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ErrorCode, TickscopeError } from "../errors.js";
import type { FieldRecord, FieldValue } from "../game-message.js";
import type { Direction } from "../session.js";
import type { KeyProvider } from "./key-file.js";
import type { BytePartPlan, FieldRef, TransformPlan } from "./plan.js";
import type { ProtocolPlugin } from "./plugins.js";

/** Everything a transform needs besides the bytes. */
export interface TransformContext {
  sessionId: string;
  direction: Direction;
  /** Whole datagram (for `datagramBytes` nonce/AAD parts). */
  datagram: Uint8Array;
  scopes: FieldRecord[];
  keys: KeyProvider | undefined;
  plugins: Map<string, ProtocolPlugin>;
}

/** Result of undoing the transforms of a region. */
export interface TransformResult {
  bytes: Uint8Array;
  authenticated: boolean;
}

const TAG_BYTES = 16;

function lookup(scopes: FieldRecord[], ref: FieldRef): FieldValue | undefined {
  return scopes[ref.level]?.[ref.name];
}

function assemble(parts: BytePartPlan[], context: TransformContext, path: string): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.kind === "bytes" ? part.bytes.length : part.kind === "field" ? part.bytes : part.length;
  const result = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    if (part.kind === "bytes") {
      result.set(part.bytes, offset);
      offset += part.bytes.length;
    } else if (part.kind === "field") {
      const value = lookup(context.scopes, part.ref);
      if (typeof value !== "number" && typeof value !== "bigint") {
        throw new TickscopeError(ErrorCode.decodeFailed, `${path}: nonce/AAD field ${part.ref.name} is not an integer`, { fieldPath: path });
      }
      let big = BigInt.asUintN(part.bytes * 8, BigInt(value));
      for (let index = 0; index < part.bytes; index++) {
        const at = part.little ? offset + index : offset + part.bytes - 1 - index;
        result[at] = Number(big & 0xffn);
        big >>= 8n;
      }
      offset += part.bytes;
    } else {
      if (part.offset + part.length > context.datagram.length) {
        throw new TickscopeError(ErrorCode.truncated, `${path}: datagram too short for AAD bytes`, { fieldPath: path });
      }
      result.set(context.datagram.subarray(part.offset, part.offset + part.length), offset);
      offset += part.length;
    }
  }
  return result;
}

function keyFor(transform: Extract<TransformPlan, { kind: "aead" }>, context: TransformContext): Uint8Array {
  const key = context.keys?.({ sessionId: context.sessionId, direction: context.direction, keyName: transform.keyName }) ?? transform.keys[context.direction];
  if (key === undefined) {
    throw new TickscopeError(ErrorCode.keyMissing, `${transform.path}: no ${transform.algorithm} key for session ${context.sessionId} ${context.direction}`, {
      fieldPath: transform.path,
      hint: "give keys in the definition, a key file (--keys) or a key provider",
    });
  }
  const expected = transform.algorithm === "aes-128-gcm" ? 16 : 32;
  if (key.length !== expected) {
    throw new TickscopeError(ErrorCode.keyMissing, `${transform.path}: ${transform.algorithm} needs a ${expected}-byte key, got ${key.length}`, { fieldPath: transform.path });
  }
  return key;
}

function decryptFailed(path: string, detail: string, cause?: unknown): TickscopeError {
  return new TickscopeError(ErrorCode.decryptFailed, `${path}: ${detail}`, { fieldPath: path, cause });
}

function aeadDecrypt(transform: Extract<TransformPlan, { kind: "aead" }>, bytes: Uint8Array, context: TransformContext): Uint8Array {
  if (bytes.length < TAG_BYTES) throw decryptFailed(transform.path, "region shorter than the authentication tag");
  const key = keyFor(transform, context);
  const nonce = assemble(transform.nonce, context, transform.path);
  const aad = assemble(transform.aad, context, transform.path);
  const ciphertext = bytes.subarray(0, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  if (transform.algorithm === "xchacha20-poly1305") {
    try {
      return xchacha20poly1305(key, nonce, aad).decrypt(bytes);
    } catch (cause) {
      throw decryptFailed(transform.path, "authentication failed (wrong key or tampered packet)", cause);
    }
  }
  try {
    const decipher = createDecipheriv(transform.algorithm as "chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad, { plaintextLength: ciphertext.length });
    decipher.setAuthTag(tag);
    const head = decipher.update(ciphertext);
    const tail = decipher.final();
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
    const result = new Uint8Array(head.length + tail.length);
    result.set(head);
    result.set(tail, head.length);
    return result;
  } catch (cause) {
    throw decryptFailed(transform.path, "authentication failed (wrong key or tampered packet)", cause);
  }
}

function aeadEncrypt(transform: Extract<TransformPlan, { kind: "aead" }>, bytes: Uint8Array, context: TransformContext): Uint8Array {
  const key = keyFor(transform, context);
  const nonce = assemble(transform.nonce, context, transform.path);
  const aad = assemble(transform.aad, context, transform.path);
  if (transform.algorithm === "xchacha20-poly1305") return xchacha20poly1305(key, nonce, aad).encrypt(bytes);
  const cipher = createCipheriv(transform.algorithm as "chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad, { plaintextLength: bytes.length });
  const body = Buffer.concat([cipher.update(bytes), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}

function xor(bytes: Uint8Array, key: Uint8Array, output: Uint8Array): Uint8Array {
  const keyLength = key.length;
  if (keyLength === 1) {
    const byte = key[0];
    for (let index = 0; index < bytes.length; index++) output[index] = bytes[index] ^ byte;
  } else {
    for (let index = 0; index < bytes.length; index++) output[index] = bytes[index] ^ key[index % keyLength];
  }
  return output;
}

function transformPlugin(transform: Extract<TransformPlan, { kind: "plugin" }>, context: TransformContext): ProtocolPlugin {
  const plugin = context.plugins.get(transform.plugin);
  if (plugin?.transform === undefined) {
    throw new TickscopeError(ErrorCode.decodeFailed, `no transform plugin ${JSON.stringify(transform.plugin)} registered`);
  }
  return plugin;
}

/** Undoes the transforms on `bytes` (decoding direction). Throws typed errors (`E_DECRYPT_FAILED`, `E_KEY_MISSING`...). */
export function undoTransforms(transforms: TransformPlan[], bytes: Uint8Array, context: TransformContext): TransformResult {
  let authenticated = false;
  let current = bytes;
  for (const transform of transforms) {
    if (transform.when !== undefined && !transform.when.test(lookup(context.scopes, transform.when.ref))) continue;
    if (transform.kind === "xor") {
      const value = lookup(context.scopes, transform.ref);
      const key = transform.keys.get(typeof value === "bigint" ? Number(value) : (value as number));
      if (key === undefined) continue;
      current = xor(current, key, new Uint8Array(current.length));
    } else if (transform.kind === "aead") {
      current = aeadDecrypt(transform, current, context);
      authenticated = true;
    } else {
      const result = transformPlugin(transform, context).transform!.decode(current, { sessionId: context.sessionId, direction: context.direction, options: transform.options });
      if (result instanceof Uint8Array) current = result;
      else {
        current = result.bytes;
        authenticated ||= result.authenticated;
      }
    }
  }
  return { bytes: current, authenticated };
}

/** Applies the transforms to plain `bytes` (encoding direction, in reverse order). */
export function applyTransforms(transforms: TransformPlan[], bytes: Uint8Array, context: TransformContext): Uint8Array {
  let current = bytes;
  for (let index = transforms.length - 1; index >= 0; index--) {
    const transform = transforms[index];
    if (transform.when !== undefined && !transform.when.test(lookup(context.scopes, transform.when.ref))) continue;
    if (transform.kind === "xor") {
      const value = lookup(context.scopes, transform.ref);
      const key = transform.keys.get(typeof value === "bigint" ? Number(value) : (value as number));
      if (key !== undefined) current = xor(current, key, new Uint8Array(current.length));
    } else if (transform.kind === "aead") {
      current = aeadEncrypt(transform, current, context);
    } else {
      current = transformPlugin(transform, context).transform!.encode(current, { sessionId: context.sessionId, direction: context.direction, options: transform.options });
    }
  }
  return current;
}
