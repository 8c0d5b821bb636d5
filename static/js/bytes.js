// Byte helpers shared by the sealing modules. Every binary value on the wire is a
// Uint8Array; these helpers keep the big-endian encodings of docs/envelope.md in one place.

const encoder = new TextEncoder();
const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes of a string; refuses lone surrogates (Python would refuse them too). */
export function utf8(text) {
  if (typeof text !== "string") throw new TypeError("expected a string");
  if (typeof text.isWellFormed === "function" && !text.isWellFormed()) {
    throw new RangeError("text contains a lone surrogate and cannot be encoded as UTF-8");
  }
  return encoder.encode(text);
}

export function fromUtf8(bytes) {
  return fatalDecoder.decode(bytes);
}

export function concat(...parts) {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u8(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`u8 out of range: ${n}`);
  return Uint8Array.of(n);
}

export function u16(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`u16 out of range: ${n}`);
  return Uint8Array.of(n >>> 8, n & 0xff);
}

export function u32(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RangeError(`u32 out of range: ${n}`);
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

export function readU16(bytes, at) {
  return (bytes[at] << 8) | bytes[at + 1];
}

export function readU32(bytes, at) {
  return new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, false);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex: how SHA-256 digests are written everywhere in bidhall. */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

export function fromHex(text) {
  if (typeof text !== "string" || text.length % 2 || /[^0-9a-fA-F]/.test(text)) {
    throw new TypeError("not a hex string");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/** Unpadded base64url: how keys and signatures travel in JSON (the JWK encoding). */
export function toB64u(bytes) {
  let bin = "";
  // Chunked so a large value does not overflow the argument list of fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict decoding, like crypto.encoding.b64u_decode: one spelling per value. */
export function fromB64u(text, length) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError("not unpadded base64url");
  }
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  if (toB64u(out) !== text) throw new TypeError("not canonical base64url");
  if (length !== undefined && out.length !== length) {
    throw new RangeError(`expected ${length} bytes, got ${out.length}`);
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
