// A party's keys (bidder, custodian, expert), kept in its own browser.
//
// Ed25519 signs (submissions, declarations); X25519 receives what is sealed to the party (the
// "bidder" stanza of its own envelopes, a custodian's key share). The private keys are
// CryptoKey objects in IndexedDB: only the public halves are registered with the platform
// (PUT /api/v1/me/keys), which answers with its certificate.
//
// One key file for the CLI and the browser (keyfile.js, crypto/keys.py): a key made by
// `bidhall keys new` is imported here with its passphrase, and keys made here are exported
// (backed up) to that same passphrase-encrypted file. Being exportable is the price of a
// backup: a script running in this origin could export them too, which is what the strict CSP
// (no inline or foreign script) is there to prevent. Keys created by an older version of this
// page are non-extractable and cannot be backed up; the page says so.
//
// Clearing the site data without a backup loses the keys: revoke them and register new ones
// before the bid deadline (bidder_keys.html explains what that means for sealed bids).

import { toB64u, toHex } from "./bytes.js";
import { api } from "./api.js";
import { ed25519Supported } from "./signatures.js";
import { sha256 } from "./sha256.js";
import { openKeyFile, writeKeyFile } from "./keyfile.js";

export { KeyFileError, keyFileText, openKeyFile } from "./keyfile.js";

const DB_NAME = "bidhall-keys";
const STORE = "identities";

export class KeyError extends Error {}

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "owner" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, run) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

/** Refuse early, with a message a bidder can act on, where WebCrypto lacks what we need. */
export async function checkSupport() {
  if (!globalThis.crypto?.subtle || !globalThis.indexedDB) {
    throw new KeyError(
      "浏览器不支持 WebCrypto 或 IndexedDB（须通过 https 访问）/ this browser lacks WebCrypto " +
        "or IndexedDB (the page must be served over https)",
    );
  }
  if (!(await ed25519Supported())) {
    throw new KeyError(
      "浏览器不支持 Ed25519 签名，请升级到新版 Chromium/Chrome/Edge，或使用 bidhall 客户端 / " +
        "this browser's WebCrypto has no Ed25519: update it or use the bidhall CLI",
    );
  }
  try {
    await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]);
  } catch {
    throw new KeyError(
      "浏览器不支持 X25519，请升级浏览器或使用 bidhall 客户端 / this browser has no X25519",
    );
  }
}

/** The identity stored for this signed-in user on this browser, or null. */
export function loadIdentity(owner) {
  return tx("readonly", (store) => store.get(owner)).then((found) => found ?? null);
}

async function store(owner, keys, source) {
  const identity = {
    owner,
    signPriv: keys.signPriv,
    signPub: keys.signPub,
    encPriv: keys.encPriv,
    encPub: keys.encPub,
    source, // "generated" | "imported"
    createdAt: new Date().toISOString(),
  };
  await tx("readwrite", (store) => store.put(identity));
  return identity;
}

/** Generate fresh (exportable) key pairs and store them, replacing any older ones. */
export async function createIdentity(owner) {
  await checkSupport();
  const sign = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const enc = await crypto.subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
  return store(
    owner,
    {
      signPriv: sign.privateKey,
      signPub: new Uint8Array(await crypto.subtle.exportKey("raw", sign.publicKey)),
      encPriv: enc.privateKey,
      encPub: new Uint8Array(await crypto.subtle.exportKey("raw", enc.publicKey)),
    },
    "generated",
  );
}

/**
 * Import a key file (parsed JSON, as `bidhall keys new` or exportKeyFile writes it) into this
 * browser for `owner`, replacing any keys stored here. Throws KeyFileError (code "wrong",
 * "old", "format") with a sentence to show.
 */
export async function importIdentity(owner, doc, passphrase) {
  await checkSupport();
  return store(owner, await openKeyFile(doc, passphrase, { extractable: true }), "imported");
}

/** The keys as a passphrase-encrypted key file document (the CLI's format). */
export function exportIdentity(identity, passphrase) {
  return writeKeyFile(identity, passphrase);
}

/** Whether these keys can be backed up (keys from older versions of this page cannot). */
export function exportable(identity) {
  return Boolean(identity?.signPriv?.extractable && identity?.encPriv?.extractable);
}

/** Forget the keys stored in this browser for `owner` (after revoking them). */
export function forgetIdentity(owner) {
  return tx("readwrite", (store) => store.delete(owner));
}

/** Revoke one of the caller's own registered keys (by its key_id); returns the answer. */
export function revokeKey(keyId) {
  return api("POST", `/api/v1/me/keys/${encodeURIComponent(keyId)}/revoke`);
}

export function publicKeys(identity) {
  return { sign_pub: toB64u(identity.signPub), enc_pub: toB64u(identity.encPub) };
}

/** Hex SHA-256 of a raw public key (as crypto.keys.fingerprint). */
export async function fingerprint(pub) {
  return toHex(await sha256(pub));
}

/** "ed25519:" + 16 hex digits, as crypto.keys.key_id. */
export async function keyId(signPub) {
  return `ed25519:${(await fingerprint(signPub)).slice(0, 16)}`;
}

/** Register the public halves; returns the server's answer (certificate, platform key). */
export function registerIdentity(identity) {
  return api("PUT", "/api/v1/me/keys", { json: publicKeys(identity) });
}

/** The keys the platform currently holds for this user, or null if none. */
export async function registeredKeys() {
  try {
    return await api("GET", "/api/v1/me/keys");
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

/** True if the platform's current keys are this browser's keys. */
export function matches(identity, registered) {
  if (!identity || !registered) return false;
  const mine = publicKeys(identity);
  return registered.sign_pub === mine.sign_pub && registered.enc_pub === mine.enc_pub;
}

/** Ed25519 signature (base64url) of `message` bytes with the stored private key. */
export async function sign(identity, message) {
  return toB64u(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, identity.signPriv, message)));
}
