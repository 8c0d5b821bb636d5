// HPKE (RFC 9180) base mode, single shot, in the one suite bidhall uses:
// DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, AES-256-GCM 0x0002.
//
// WebCrypto has no HPKE, but every step reduces to X25519 (deriveBits), HMAC-SHA256 and
// AES-GCM, which it does have. HKDF is written out with HMAC (rather than WebCrypto's HKDF,
// which fuses extract and expand) because HPKE needs the two halves separately.

import { concat, fromB64u, u16, utf8 } from "./bytes.js";

const subtle = globalThis.crypto?.subtle;
const HPKE_V1 = utf8("HPKE-v1");
const SUITE_KEM = concat(utf8("KEM"), u16(0x0020));
const SUITE = concat(utf8("HPKE"), u16(0x0020), u16(0x0001), u16(0x0002));
const ZERO_SALT = new Uint8Array(32); // RFC 5869: an absent salt is HashLen zero bytes
export const ENC_LEN = 32;
export const TAG_LEN = 16;

function requireSubtle() {
  if (!subtle) {
    throw new Error(
      "此页面不在安全上下文中，浏览器未提供 WebCrypto / WebCrypto is unavailable " +
        "(the page must be served over https or from localhost)",
    );
  }
  return subtle;
}

export async function hmacSha256(key, data) {
  const k = await requireSubtle().importKey(
    "raw",
    key.length ? key : ZERO_SALT,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}

/** HKDF-Extract (RFC 5869); an empty salt means 32 zero bytes. */
export function hkdfExtract(salt, ikm) {
  return hmacSha256(salt.length ? salt : ZERO_SALT, ikm);
}

/** HKDF-Expand (RFC 5869). */
export async function hkdfExpand(prk, info, length) {
  if (length > 255 * 32) throw new RangeError("HKDF-Expand: length too large");
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    previous = await hmacSha256(prk, concat(previous, info, Uint8Array.of(i)));
    out.set(previous.subarray(0, Math.min(32, length - at)), at);
    at += 32;
  }
  return out;
}

export async function hkdf(ikm, salt, info, length) {
  return hkdfExpand(await hkdfExtract(salt, ikm), info, length);
}

function labeledExtract(salt, label, ikm, suite) {
  return hkdfExtract(salt, concat(HPKE_V1, suite, utf8(label), ikm));
}

function labeledExpand(prk, label, info, length, suite) {
  return hkdfExpand(prk, concat(u16(length), HPKE_V1, suite, utf8(label), info), length);
}

export function importX25519Public(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) {
    throw new TypeError("X25519 public key must be 32 bytes");
  }
  return requireSubtle().importKey("raw", raw, { name: "X25519" }, true, []);
}

/** An X25519 private key from its raw 32 bytes (test vectors only: real keys are fresh). */
export function importX25519Private(raw) {
  // WebCrypto cannot import raw X25519 private keys; wrap the 32 bytes in PKCS#8 (RFC 8410).
  const prefix = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
    0x6e, 0x04, 0x22, 0x04, 0x20);
  return requireSubtle().importKey("pkcs8", concat(prefix, raw), { name: "X25519" }, true, [
    "deriveBits",
  ]);
}

async function x25519(privateKey, publicKey) {
  try {
    return new Uint8Array(
      await subtle.deriveBits({ name: "X25519", public: publicKey }, privateKey, 256),
    );
  } catch (err) {
    // Chromium refuses low-order points (an all-zero shared secret) here: never proceed.
    throw new Error(`X25519 failed (invalid or low-order public key): ${err.message || err}`);
  }
}

async function keySchedule(shared, info) {
  const pskIdHash = await labeledExtract(new Uint8Array(0), "psk_id_hash", new Uint8Array(0), SUITE);
  const infoHash = await labeledExtract(new Uint8Array(0), "info_hash", info, SUITE);
  const context = concat(Uint8Array.of(0x00), pskIdHash, infoHash); // 0x00 = mode_base
  const secret = await labeledExtract(shared, "secret", new Uint8Array(0), SUITE);
  return {
    key: await labeledExpand(secret, "key", context, 32, SUITE),
    baseNonce: await labeledExpand(secret, "base_nonce", context, 12, SUITE),
  };
}

async function sharedSecret(dh, enc, pkR) {
  const eaePrk = await labeledExtract(new Uint8Array(0), "eae_prk", dh, SUITE_KEM);
  return labeledExpand(eaePrk, "shared_secret", concat(enc, pkR), 32, SUITE_KEM);
}

/**
 * SealBase(pkR, info, aad, pt) with sequence number 0.
 * `ephemeral` (optional) is a raw X25519 private key: known-answer tests only.
 * Returns { enc, ct } where ct is ciphertext || 16-byte tag.
 */
export async function sealBase(pkR, info, aad, plaintext, ephemeral) {
  const s = requireSubtle();
  const recipient = await importX25519Public(pkR);
  let skE;
  let enc;
  if (ephemeral) {
    skE = await importX25519Private(ephemeral);
    const jwk = await s.exportKey("jwk", skE); // the only way to get its public half
    enc = fromB64u(jwk.x, 32);
  } else {
    const pair = await s.generateKey({ name: "X25519" }, false, ["deriveBits"]);
    skE = pair.privateKey;
    enc = new Uint8Array(await s.exportKey("raw", pair.publicKey));
  }
  const dh = await x25519(skE, recipient);
  const { key, baseNonce } = await keySchedule(await sharedSecret(dh, enc, pkR), info);
  const aes = await s.importKey("raw", key, { name: "AES-GCM" }, false, ["encrypt"]);
  const ct = new Uint8Array(
    await s.encrypt({ name: "AES-GCM", iv: baseNonce, additionalData: aad, tagLength: 128 }, aes, plaintext),
  );
  return { enc, ct };
}

/**
 * OpenBase with a WebCrypto X25519 private key (which may be non-extractable, as the
 * bidder's own key in IndexedDB is) and its raw public key.
 */
export async function openBase(privateKey, pkR, enc, info, aad, ct) {
  const s = requireSubtle();
  const dh = await x25519(privateKey, await importX25519Public(enc));
  const { key, baseNonce } = await keySchedule(await sharedSecret(dh, enc, pkR), info);
  const aes = await s.importKey("raw", key, { name: "AES-GCM" }, false, ["decrypt"]);
  return new Uint8Array(
    await s.decrypt({ name: "AES-GCM", iv: baseNonce, additionalData: aad, tagLength: 128 }, aes, ct),
  );
}
