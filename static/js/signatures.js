// Ed25519 verification of the platform's signed objects (receipts, key certificates), the
// way crypto/signing.py verify_object checks them: the signature is over the canonical JSON
// of every other field. Lets a bidder check a receipt in its own browser.

import { fromB64u, toHex } from "./bytes.js";
import { canonicalJson } from "./canonical.js";
import { sha256 } from "./sha256.js";

const RECEIPT_FIELDS = [
  "type", "v", "lot_id", "bidder_id", "version", "ciphertext_sha256", "size", "received_at",
  "audit_index", "key_id",
];

/** True if the browser's WebCrypto can do Ed25519 (Chromium 113+, Firefox 129+, Safari 17+). */
export async function ed25519Supported() {
  try {
    await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    return true;
  } catch {
    return false;
  }
}

export async function platformKeyId(signPubB64) {
  return `ed25519:${toHex(await sha256(fromB64u(signPubB64, 32))).slice(0, 16)}`;
}

/** Verify obj.signature over canonical_json(obj without signature); true or false. */
export async function verifySigned(obj, signPubB64) {
  if (!obj || typeof obj.signature !== "string") return false;
  const fields = { ...obj };
  delete fields.signature;
  try {
    const key = await crypto.subtle.importKey(
      "raw", fromB64u(signPubB64, 32), { name: "Ed25519" }, false, ["verify"],
    );
    return await crypto.subtle.verify(
      { name: "Ed25519" }, key, fromB64u(obj.signature, 64), canonicalJson(fields),
    );
  } catch {
    return false; // malformed signature or key: not verified
  }
}

/**
 * Check a submission receipt against the platform's public signing key.
 * Returns { ok, reason } where reason explains a failure.
 */
export async function verifyReceipt(receipt, platformSignPubB64) {
  if (!receipt || receipt.type !== "bidhall-receipt" || receipt.v !== 1) {
    return { ok: false, reason: "not a bidhall receipt" };
  }
  const keys = Object.keys(receipt).filter((k) => k !== "signature").sort();
  if (keys.join() !== [...RECEIPT_FIELDS].sort().join()) {
    return { ok: false, reason: "receipt fields wrong" };
  }
  if (receipt.key_id !== (await platformKeyId(platformSignPubB64))) {
    return { ok: false, reason: `signed by another key (${receipt.key_id})` };
  }
  const ok = await verifySigned(receipt, platformSignPubB64);
  return { ok, reason: ok ? "" : "signature does not verify" };
}

/** Check a party certificate (crypto/signing.py certify) and that it names `keys`. */
export async function verifyCertificate(cert, platformSignPubB64, keys) {
  if (!cert || cert.type !== "bidhall-party-certificate" || cert.v !== 1) {
    return { ok: false, reason: "not a bidhall certificate" };
  }
  if (keys && (cert.subject?.sign_pub !== keys.sign_pub || cert.subject?.enc_pub !== keys.enc_pub)) {
    return { ok: false, reason: "the certificate names other keys" };
  }
  const ok = await verifySigned(cert, platformSignPubB64);
  return { ok, reason: ok ? "" : "signature does not verify" };
}
