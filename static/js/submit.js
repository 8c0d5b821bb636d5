// Seal a bid in the browser, sign it, upload it. The platform receives ciphertext only.
//
// Upload strategy: the sealed envelope is assembled as a Blob made of one small Blob per
// encrypted chunk, then sent with fetch(). Streaming the upload while sealing (fetch with a
// ReadableStream body, `duplex: "half"`) is not used, for two reasons:
//   1. Chromium allows streaming request bodies only over HTTP/2 or QUIC; over HTTP/1.1
//      (uvicorn, most intranet deployments) it fails with ERR_H2_OR_QUIC_REQUIRED.
//   2. The submission signature (X-Bid-Signature, a request header, so sent before the
//      body) covers the SHA-256 of the whole ciphertext, known only once sealing ends.
// Each chunk is handed to the browser's blob store as soon as it is encrypted, so the
// script holds about two chunks; Chromium's blob store pages large blobs to disk (in a
// normal profile; an incognito profile keeps them in memory).

import { api } from "./api.js";
import { fromB64u, toHex } from "./bytes.js";
import { prepareBundle } from "./bundle.js";
import { canonicalJson } from "./canonical.js";
import { MAC_LEN, MAX_HEADER_BODY, readHeader, seal } from "./envelope.js";
import { sign } from "./keys.js";
import { Sha256 } from "./sha256.js";

export const UPLOAD_STRATEGY = "blob";
const SLICE = 1 << 20;

/** The exact bytes a bidder signs (crypto.receipts.submission_message). */
export function submissionMessage(lotId, bidderId, version, headerSha256, ciphertextSha256) {
  return canonicalJson({
    type: "bidhall-submission",
    v: 1,
    lot_id: lotId,
    bidder_id: bidderId,
    version,
    header_sha256: headerSha256,
    ciphertext_sha256: ciphertextSha256,
  });
}

/**
 * Pack the price form and files and seal them to the lot's opening key and to the bidder's
 * own X25519 key. `onProgress(phase, done, total)` with phase "hash" then "seal".
 * Returns { blob, headerSha256, ciphertextSha256, size }.
 */
export async function sealBid({
  lotId,
  bidderId,
  version,
  openingPub,
  bidderEncPub,
  priceForm,
  files,
  onProgress,
  chunkSize,
}) {
  const bundle = await prepareBundle(priceForm, files, {
    onHashProgress: (done, total) => onProgress?.("hash", done, total),
  });
  const parts = [];
  const recipients = [{ label: "opening", pub: fromB64u(openingPub, 32) }];
  if (bidderEncPub) recipients.push({ label: "bidder", pub: bidderEncPub });
  const result = await seal(bundle.stream(), async (bytes) => parts.push(new Blob([bytes])), {
    lotId,
    bidderId,
    version,
    recipients,
    chunkSize,
    onProgress: (done) => onProgress?.("seal", done, bundle.size),
  });
  const blob = new Blob(parts, { type: "application/octet-stream" });
  return { blob, ...result, entries: bundle.entries };
}

/**
 * A file sealed elsewhere (the bidhall CLI): read its header, check it is for this lot and
 * bidder, and hash it slice by slice. Returns { blob, header, headerSha256, ciphertextSha256 }.
 */
export async function inspectSealedFile(file, { lotId, bidderId, onProgress }) {
  const head = new Uint8Array(await file.slice(0, 12 + MAX_HEADER_BODY + MAC_LEN).arrayBuffer());
  const header = readHeader(head);
  if (header.lotId !== lotId) {
    throw new Error(`文件属于其他标段 / the file is sealed for ${header.lotId}, not ${lotId}`);
  }
  if (header.bidderId !== bidderId) {
    throw new Error(`文件属于其他投标人 / the file names bidder ${header.bidderId}`);
  }
  const whole = new Sha256();
  for (let at = 0; at < file.size; at += SLICE) {
    const piece = new Uint8Array(await file.slice(at, at + SLICE).arrayBuffer());
    whole.update(piece);
    onProgress?.("hash", Math.min(at + piece.length, file.size), file.size);
  }
  const headerSha256 = toHex(new Sha256().update(header.raw).digest());
  return { blob: file, header, headerSha256, ciphertextSha256: toHex(whole.digest()) };
}

export async function signSubmission(identity, { lotId, bidderId, version, headerSha256, ciphertextSha256 }) {
  return sign(identity, submissionMessage(lotId, bidderId, version, headerSha256, ciphertextSha256));
}

/**
 * POST the sealed body. A test may install globalThis.bidhallTestHooks.beforeUpload(blob)
 * to alter the body just before it leaves (the tamper test); nothing else uses it.
 */
export async function upload(lotNumericId, blob, signature) {
  const hook = globalThis.bidhallTestHooks?.beforeUpload;
  const body = hook ? await hook(blob) : blob;
  return api("POST", `/api/v1/lots/${lotNumericId}/bids`, {
    body,
    headers: { "Content-Type": "application/octet-stream", "X-Bid-Signature": signature },
  });
}
