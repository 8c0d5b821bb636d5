// The bidhall sealed envelope, format 1 (docs/envelope.md), sealed in the browser.
//
// Byte for byte what crypto/envelope.py writes: a header binding lot, bidder and version,
// one HPKE stanza per recipient wrapping a fresh file key, a header MAC, then the payload in
// STREAM chunks (AES-256-GCM, counter nonce with a last-chunk flag). The server only ever
// receives this ciphertext; the Python opener reads it at the opening.
//
// Memory: the plaintext arrives as an async iterable of pieces (file slices); it is cut
// into chunks of exactly C bytes with one chunk of look-ahead (the last-chunk flag must be
// known before a chunk is encrypted), so at most about two chunks are held at any time.

import { concat, equalBytes, readU16, readU32, toHex, u16, u32, u8, utf8, fromUtf8 } from "./bytes.js";
import { hkdf, hmacSha256, sealBase } from "./hpke.js";
import { Sha256, sha256 } from "./sha256.js";

export const MAGIC = utf8("BHSEAL");
export const FORMAT_VERSION = 1;
export const MIN_CHUNK_SIZE = 1 << 20;
export const MAX_CHUNK_SIZE = 64 << 20;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
export const MAX_HEADER_BODY = 64 << 10;
export const MAX_STANZAS = 16;
export const MAX_ID_BYTES = 256;
export const FILE_KEY_LEN = 32;
export const NONCE_PREFIX_LEN = 7;
export const TAG_LEN = 16;
export const MAC_LEN = 32;
const FIXED_LEN = MAGIC.length + 2 + 4;
const STANZA_FIXED = 32 + 32 + FILE_KEY_LEN + TAG_LEN; // fingerprint, enc, wrapped key

export const HPKE_INFO_PREFIX = utf8("bidhall-envelope/1 file-key");
export const HEADER_KEY_INFO = utf8("bidhall-envelope/1 header");
export const PAYLOAD_KEY_INFO = utf8("bidhall-envelope/1 payload");
const LABEL_RE = /^[a-z][a-z0-9-]{0,31}$/;

export class EnvelopeError extends Error {}

// ---- encodings -----------------------------------------------------------------------------

function str16(text) {
  const raw = utf8(text);
  return concat(u16(raw.length), raw);
}

/** The header's identity fields, exactly as at the start of the header body. */
export function binding(lotId, bidderId, version) {
  return concat(str16(lotId), str16(bidderId), u32(version));
}

function stanzaAad(label, fingerprint) {
  const raw = utf8(label);
  return concat(u8(raw.length), raw, fingerprint);
}

export function headerKey(fileKey) {
  return hkdf(fileKey, new Uint8Array(0), HEADER_KEY_INFO, 32);
}

export function payloadKey(fileKey, noncePrefix) {
  return hkdf(fileKey, noncePrefix, PAYLOAD_KEY_INFO, 32);
}

function chunkNonce(prefix, counter, last) {
  return concat(prefix, u32(counter), u8(last ? 1 : 0));
}

function checkId(value, what) {
  if (typeof value !== "string" || !value) throw new EnvelopeError(`${what} must be a non-empty string`);
  if (utf8(value).length > MAX_ID_BYTES) {
    throw new EnvelopeError(`${what} is longer than ${MAX_ID_BYTES} UTF-8 bytes`);
  }
}

function checkParams({ lotId, bidderId, version, chunkSize, minChunkForTests }) {
  checkId(lotId, "lot id");
  checkId(bidderId, "bidder id");
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new EnvelopeError("submission version must be an integer in 1..2^32-1");
  }
  const minimum = minChunkForTests ?? MIN_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < minimum || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError(`chunk size must be an integer in ${minimum}..${MAX_CHUNK_SIZE}`);
  }
}

// ---- sealing -------------------------------------------------------------------------------

/** Header bytes, MAC included. `ephemeralPrivs` fixes HPKE's ephemeral keys (tests only). */
export async function buildHeader({
  lotId,
  bidderId,
  version,
  chunkSize,
  noncePrefix,
  recipients,
  fileKey,
  ephemeralPrivs,
}) {
  if (!recipients?.length) throw new EnvelopeError("at least one recipient is required");
  if (recipients.length > MAX_STANZAS) throw new EnvelopeError(`at most ${MAX_STANZAS} recipients`);
  const bound = binding(lotId, bidderId, version);
  const info = concat(HPKE_INFO_PREFIX, bound);
  const seen = new Set();
  const stanzas = [];
  for (const [i, { label, pub }] of recipients.entries()) {
    if (typeof label !== "string" || !LABEL_RE.test(label)) {
      throw new EnvelopeError(`recipient label ${JSON.stringify(label)} must match ${LABEL_RE}`);
    }
    if (!(pub instanceof Uint8Array) || pub.length !== 32) {
      throw new EnvelopeError(`recipient ${label} public key must be 32 bytes`);
    }
    if (seen.has(toHex(pub))) throw new EnvelopeError(`recipient ${label} public key given twice`);
    seen.add(toHex(pub));
    const aad = stanzaAad(label, await sha256(pub));
    const { enc, ct } = await sealBase(pub, info, aad, fileKey, ephemeralPrivs?.[i]);
    stanzas.push(aad, enc, ct);
  }
  const body = concat(bound, u32(chunkSize), noncePrefix, u8(recipients.length), ...stanzas);
  if (body.length > MAX_HEADER_BODY) throw new EnvelopeError("header too large");
  const head = concat(MAGIC, u16(FORMAT_VERSION), u32(body.length), body);
  return concat(head, await hmacSha256(await headerKey(fileKey), head));
}

async function* pieces(source) {
  if (source instanceof Uint8Array) yield source;
  else yield* source;
}

/**
 * Cut a stream of byte pieces into chunks of exactly `size` bytes (the last may be shorter,
 * or empty only if the whole input is). Each chunk is yielded once the next byte is seen or
 * the input ended, so `last` is exact.
 */
export async function* exactChunks(source, size) {
  let buf = new Uint8Array(size);
  let fill = 0;
  let held = null; // a full chunk waiting to learn whether it is the last
  for await (const piece of pieces(source)) {
    let at = 0;
    while (at < piece.length) {
      if (held) {
        yield { data: held, last: false }; // more input exists, so held was not last
        held = null;
      }
      const take = Math.min(size - fill, piece.length - at);
      buf.set(piece.subarray(at, at + take), fill);
      fill += take;
      at += take;
      if (fill === size) {
        held = buf;
        buf = new Uint8Array(size);
        fill = 0;
      }
    }
  }
  if (held) yield { data: held, last: true };
  else yield { data: buf.subarray(0, fill), last: true };
}

async function sealWith(source, sink, opts) {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  checkParams({ ...opts, chunkSize });
  const header = await buildHeader({ ...opts, chunkSize });
  const whole = new Sha256().update(header);
  await sink(header);
  let size = header.length;
  const key = await crypto.subtle.importKey(
    "raw",
    await payloadKey(opts.fileKey, opts.noncePrefix),
    { name: "AES-GCM" },
    false,
    ["encrypt"],
  );
  let counter = 0;
  let plain = 0;
  for await (const { data, last } of exactChunks(source, chunkSize)) {
    if (counter > 0xffffffff) throw new EnvelopeError("plaintext too large for this chunk size");
    const wire = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: chunkNonce(opts.noncePrefix, counter, last), tagLength: 128 },
        key,
        data,
      ),
    );
    whole.update(wire);
    await sink(wire);
    size += wire.length;
    plain += data.length;
    opts.onProgress?.(plain);
    counter += 1;
  }
  return {
    header,
    headerSha256: toHex(await sha256(header)),
    ciphertextSha256: toHex(whole.digest()),
    size,
    plaintextSize: plain,
  };
}

/**
 * Seal `source` (a Uint8Array or an async iterable of Uint8Array pieces) to each
 * {label, pub} recipient, passing the sealed bytes to `await sink(bytes)` in order.
 * Options: lotId, bidderId, version, recipients, chunkSize (default 1 MiB), onProgress
 * (cumulative plaintext bytes), minChunkForTests (as Python's _min_chunk_for_tests).
 * Returns { header, headerSha256, ciphertextSha256, size, plaintextSize }.
 */
export function seal(source, sink, opts) {
  return sealWith(source, sink, {
    ...opts,
    fileKey: crypto.getRandomValues(new Uint8Array(FILE_KEY_LEN)),
    noncePrefix: crypto.getRandomValues(new Uint8Array(NONCE_PREFIX_LEN)),
    ephemeralPrivs: undefined,
  });
}

/** Seal with fixed randomness. Known-answer tests only: reusing these inputs is fatal. */
export function sealDeterministic(source, sink, opts) {
  if (opts.fileKey?.length !== FILE_KEY_LEN || opts.noncePrefix?.length !== NONCE_PREFIX_LEN) {
    throw new EnvelopeError("file key must be 32 bytes and nonce prefix 7 bytes");
  }
  if (opts.ephemeralPrivs?.length !== opts.recipients?.length) {
    throw new EnvelopeError("one ephemeral key per recipient");
  }
  return sealWith(source, sink, opts);
}

// ---- reading a header (for a file sealed elsewhere, e.g. with the CLI) ----------------------

/**
 * Parse the header at the start of `bytes` (give at least the first 64 KiB + 44 bytes).
 * Nothing is authenticated here: the server and the opener check the MAC and signature.
 */
export function readHeader(bytes, { minChunkForTests } = {}) {
  if (bytes.length < MAGIC.length || !equalBytes(bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw new EnvelopeError("not a bidhall envelope (bad magic)");
  }
  if (bytes.length < FIXED_LEN) throw new EnvelopeError("header truncated");
  const format = readU16(bytes, 6);
  if (format !== FORMAT_VERSION) throw new EnvelopeError(`unsupported envelope format version ${format}`);
  const bodyLen = readU32(bytes, 8);
  if (bodyLen > MAX_HEADER_BODY) throw new EnvelopeError("malformed header: body too long");
  if (bytes.length < FIXED_LEN + bodyLen + MAC_LEN) throw new EnvelopeError("header truncated");
  const body = bytes.subarray(FIXED_LEN, FIXED_LEN + bodyLen);
  let at = 0;
  const take = (n, what) => {
    if (at + n > body.length) throw new EnvelopeError(`malformed header: ${what} runs past the header end`);
    const out = body.subarray(at, at + n);
    at += n;
    return out;
  };
  const text = (what) => {
    const len = readU16(take(2, `${what} length`), 0);
    try {
      return fromUtf8(take(len, what));
    } catch {
      throw new EnvelopeError(`malformed header: ${what} is not UTF-8`);
    }
  };
  const lotId = text("lot id");
  const bidderId = text("bidder id");
  const version = readU32(take(4, "submission version"), 0);
  const chunkSize = readU32(take(4, "chunk size"), 0);
  if (!lotId || !bidderId || version === 0) throw new EnvelopeError("malformed header: empty binding");
  if (chunkSize < (minChunkForTests ?? MIN_CHUNK_SIZE) || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError(`malformed header: chunk size ${chunkSize} out of range`);
  }
  const noncePrefix = take(NONCE_PREFIX_LEN, "nonce prefix");
  const count = take(1, "stanza count")[0];
  if (count < 1 || count > MAX_STANZAS) throw new EnvelopeError(`malformed header: ${count} stanzas`);
  const stanzas = [];
  for (let i = 0; i < count; i++) {
    const labelLen = take(1, "label length")[0];
    const label = fromUtf8(take(labelLen, "label"));
    if (!LABEL_RE.test(label)) throw new EnvelopeError("malformed header: bad stanza label");
    const rest = take(STANZA_FIXED, "stanza");
    stanzas.push({
      label,
      fingerprint: toHex(rest.subarray(0, 32)),
      enc: rest.slice(32, 64),
      wrappedKey: rest.slice(64),
    });
  }
  if (at !== body.length) throw new EnvelopeError("malformed header: bytes after the last stanza");
  return {
    lotId,
    bidderId,
    version,
    chunkSize,
    noncePrefix: noncePrefix.slice(),
    stanzas,
    raw: bytes.slice(0, FIXED_LEN + bodyLen + MAC_LEN),
  };
}
