// The identity key file, byte for byte the format crypto/keys.py writes (version 2), so a key
// made by the `bidhall` CLI opens in the browser and a browser's key opens in the CLI:
//
//   { format: "bidhall-identity", version: 2, public: { sign_pub, enc_pub },
//     kdf: { name: "PBKDF2-SHA256", iterations }, kdf_salt, cipher: "AES-256-GCM", nonce,
//     ciphertext }                       (binary fields base64url)
//   key = PBKDF2-HMAC-SHA256(NFC(passphrase), kdf_salt, iterations, 32 bytes)
//   ciphertext = AES-256-GCM(key, nonce, aad = canonical JSON of every other field,
//                            Ed25519 seed (32) || X25519 private key (32)) || tag (16)
//
// Version 1 files (scrypt, which WebCrypto lacks) are refused with the CLI command that
// rewrites them (`bidhall keys upgrade`).

import { fromB64u, toB64u, utf8 } from "./bytes.js";
import { canonicalJson } from "./canonical.js";

export const FORMAT = "bidhall-identity";
export const VERSION = 2;
export const ITERATIONS = 600000; // as crypto.keys.PBKDF2_ITERATIONS
const MAX_ITERATIONS = 20000000; // as crypto.keys._MAX_PBKDF2
export const MIN_PASSPHRASE = 8; // as the CLI's bidding.client.cli_support.MIN_PASSPHRASE

// PKCS#8 (RFC 8410) prefixes: WebCrypto imports and exports these private keys only so.
const PKCS8 = {
  Ed25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20],
  X25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20],
};
const USAGES = { Ed25519: ["sign"], X25519: ["deriveBits"] };

/** A refusal a person can act on: `code` names it for the page (wrong passphrase, old format…). */
export class KeyFileError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const WRONG = () =>
  new KeyFileError("wrong", "口令错误或密钥文件已损坏 / wrong passphrase or damaged key file");

function passphraseBytes(passphrase) {
  if (typeof passphrase !== "string" || !passphrase) {
    throw new KeyFileError("passphrase", "请输入口令 / enter the passphrase");
  }
  return utf8(passphrase.normalize("NFC"));
}

async function fileKey(passphrase, salt, iterations, usage) {
  const base = await crypto.subtle.importKey("raw", passphraseBytes(passphrase), "PBKDF2", false, [
    "deriveKey",
  ]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    [usage],
  );
}

function aad(doc) {
  const rest = { ...doc };
  delete rest.ciphertext;
  return canonicalJson(rest);
}

/** The raw 32-byte private key inside an exported PKCS#8 key (the last 32 bytes). */
async function seedOf(privateKey) {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey));
  return der.slice(der.length - 32);
}

/**
 * A private key (and its raw public half, computed by WebCrypto) from a raw 32-byte seed.
 * `extractable` decides whether this browser can later export it again.
 */
export async function importPrivate(alg, seed, extractable) {
  const der = new Uint8Array([...PKCS8[alg], ...seed]);
  const probe = await crypto.subtle.importKey("pkcs8", der, { name: alg }, true, USAGES[alg]);
  const pub = fromB64u((await crypto.subtle.exportKey("jwk", probe)).x, 32);
  const key = extractable
    ? probe
    : await crypto.subtle.importKey("pkcs8", der, { name: alg }, false, USAGES[alg]);
  der.fill(0);
  return { key, pub };
}

/**
 * Decrypt a key file (the parsed JSON) with its passphrase. Resolves to
 * { signPriv, signPub, encPriv, encPub } (CryptoKeys and raw public keys); the private keys are
 * checked against the file's public keys before anything is returned.
 */
export async function openKeyFile(doc, passphrase, { extractable = true } = {}) {
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || doc.format !== FORMAT) {
    throw new KeyFileError("format", "这不是 bidhall 密钥文件 / not a bidhall identity key file");
  }
  if (doc.version === 1) {
    throw new KeyFileError(
      "old",
      "这是旧版（scrypt）密钥文件，浏览器无法读取。请先在电脑上运行 bidhall keys upgrade --key 文件 " +
        "转换（密钥和口令不变）/ an old (scrypt) key file: run `bidhall keys upgrade --key FILE` " +
        "first (same keys, same passphrase)",
    );
  }
  if (doc.version !== VERSION) {
    throw new KeyFileError("format", `不支持的密钥文件版本 / unsupported key file version ${doc.version}`);
  }
  const kdf = doc.kdf;
  if (
    !kdf ||
    kdf.name !== "PBKDF2-SHA256" ||
    Object.keys(kdf).length !== 2 ||
    doc.cipher !== "AES-256-GCM"
  ) {
    throw new KeyFileError("format", "不支持的密钥文件算法 / unsupported key file algorithms");
  }
  if (!Number.isSafeInteger(kdf.iterations) || kdf.iterations < ITERATIONS || kdf.iterations > MAX_ITERATIONS) {
    throw new KeyFileError("format", `不支持的 PBKDF2 迭代次数 / unsupported PBKDF2 iterations=${kdf.iterations}`);
  }
  let salt;
  let nonce;
  let blob;
  let signPubFile;
  let encPubFile;
  let additional;
  try {
    salt = fromB64u(doc.kdf_salt);
    nonce = fromB64u(doc.nonce, 12);
    blob = fromB64u(doc.ciphertext, 64 + 16);
    signPubFile = fromB64u(doc.public.sign_pub, 32);
    encPubFile = fromB64u(doc.public.enc_pub, 32);
    additional = aad(doc);
  } catch {
    throw WRONG();
  }
  if (salt.length < 16) throw WRONG();
  const key = await fileKey(passphrase, salt, kdf.iterations, "decrypt");
  let secret;
  try {
    secret = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: additional, tagLength: 128 }, key, blob),
    );
  } catch {
    throw WRONG();
  }
  try {
    const sign = await importPrivate("Ed25519", secret.subarray(0, 32), extractable);
    const enc = await importPrivate("X25519", secret.subarray(32), extractable);
    if (toB64u(sign.pub) !== toB64u(signPubFile) || toB64u(enc.pub) !== toB64u(encPubFile)) {
      throw WRONG(); // authenticated already; belt and braces, as crypto.keys
    }
    return { signPriv: sign.key, signPub: sign.pub, encPriv: enc.key, encPub: enc.pub };
  } finally {
    secret.fill(0);
  }
}

/**
 * Encrypt extractable private keys into a key file document (the parsed JSON the CLI writes).
 * `identity` holds { signPriv, signPub, encPriv, encPub }.
 */
export async function writeKeyFile(identity, passphrase) {
  if (typeof passphrase !== "string" || [...passphrase].length < MIN_PASSPHRASE) {
    throw new KeyFileError(
      "short",
      `口令至少 ${MIN_PASSPHRASE} 个字符 / use at least ${MIN_PASSPHRASE} characters`,
    );
  }
  if (!identity.signPriv.extractable || !identity.encPriv.extractable) {
    throw new KeyFileError(
      "locked",
      "本浏览器的密钥创建时设为不可导出，无法备份。请生成新密钥（旧密钥将被吊销）后立即备份 / these keys " +
        "were created non-exportable: generate new keys (the old ones are revoked) and back them up",
    );
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const doc = {
    format: FORMAT,
    version: VERSION,
    public: { sign_pub: toB64u(identity.signPub), enc_pub: toB64u(identity.encPub) },
    kdf: { name: "PBKDF2-SHA256", iterations: ITERATIONS },
    kdf_salt: toB64u(salt),
    cipher: "AES-256-GCM",
    nonce: toB64u(nonce),
  };
  const secret = new Uint8Array(64);
  try {
    secret.set(await seedOf(identity.signPriv), 0);
    secret.set(await seedOf(identity.encPriv), 32);
    const key = await fileKey(passphrase, salt, ITERATIONS, "encrypt");
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: aad(doc), tagLength: 128 },
      key,
      secret,
    );
    doc.ciphertext = toB64u(new Uint8Array(ct));
  } finally {
    secret.fill(0);
  }
  return doc;
}

/** The file as the CLI writes it (sorted keys, two-space indent, trailing newline). */
export function keyFileText(doc) {
  const sorted = (value) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k])]))
      : value;
  return `${JSON.stringify(sorted(doc), null, 2)}\n`;
}
