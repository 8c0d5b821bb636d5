// Seal a bid in the browser, sign it, upload it. The platform receives ciphertext only.
//
// Where the sealed bytes go while sealing (the "upload strategy"):
//   * "opfs" (preferred): a file in the origin-private file system (navigator.storage),
//     written chunk by chunk as each is encrypted. It is disk-backed in a normal browser
//     profile, so a multi-GB bid costs disk, not memory; fetch() then streams that File as
//     the request body. The file is deleted once the upload is answered.
//   * "blob" (fallback when OPFS is unavailable): one small Blob per encrypted chunk, joined
//     into one Blob. Measured on Chromium 156 here, its blob store kept such blobs in memory
//     and failed past roughly 500 MB, so this path suits ordinary bids only.
// Streaming the request body while sealing (fetch with a ReadableStream, duplex "half") is
// not used: Chromium allows it only over HTTP/2 or QUIC, not over the HTTP/1.1 this server
// speaks, and the submission signature (X-Bid-Signature, a header, so sent before the body)
// covers the SHA-256 of the whole ciphertext, known only when sealing ends.
// Either way the script itself holds about two 1 MiB chunks at a time.

import { api } from "./api.js";
import { fromB64u, toHex } from "./bytes.js";
import { prepareBundle } from "./bundle.js";
import { canonicalJson } from "./canonical.js";
import { MAC_LEN, MAX_HEADER_BODY, readHeader, seal } from "./envelope.js";
import { sign } from "./keys.js";
import { Sha256 } from "./sha256.js";

const SLICE = 1 << 20;
const OPFS_PREFIX = "bidhall-sealing-";
const STALE_MS = 24 * 3600 * 1000;

/** Remove sealed files left in OPFS by an interrupted session (older than a day). */
async function sweep(root) {
  try {
    for await (const [name, handle] of root.entries()) {
      if (!name.startsWith(OPFS_PREFIX) || handle.kind !== "file") continue;
      const file = await handle.getFile();
      if (Date.now() - file.lastModified > STALE_MS) await root.removeEntry(name);
    }
  } catch {
    // best effort: a leftover file costs disk space, never correctness
  }
}

/** Where the sealed bytes go: an OPFS file if possible, else an in-browser Blob. */
async function openSink() {
  try {
    const root = await navigator.storage.getDirectory();
    await sweep(root);
    const name = `${OPFS_PREFIX}${crypto.randomUUID()}.sealed`;
    const handle = await root.getFileHandle(name, { create: true });
    if (typeof handle.createWritable === "function") {
      const writable = await handle.createWritable();
      const remove = () => root.removeEntry(name).catch(() => {});
      return {
        strategy: "opfs",
        write: (bytes) => writable.write(bytes),
        finish: async () => {
          await writable.close();
          return handle.getFile();
        },
        abort: async () => {
          await writable.abort().catch(() => {});
          await remove();
        },
        cleanup: remove,
      };
    }
    await root.removeEntry(name);
  } catch {
    // no OPFS here (old browser, or storage disabled): fall back to a Blob
  }
  let parts = [];
  return {
    strategy: "blob",
    write: async (bytes) => parts.push(new Blob([bytes])),
    finish: async () => new Blob(parts, { type: "application/octet-stream" }),
    abort: async () => {
      parts = [];
    },
    cleanup: async () => {},
  };
}

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
 * Returns { blob, headerSha256, ciphertextSha256, size, strategy, cleanup }: call
 * `cleanup()` once the upload is answered (it deletes the OPFS file).
 */
export async function sealBid({
  lotId,
  bidderId,
  version,
  openingPub,
  bidderEncPub,
  priceForm,
  files,
  bundle: prepared,
  onProgress,
  chunkSize,
}) {
  const bundle = prepared ?? (await prepareFiles(priceForm, files, onProgress));
  const recipients = [{ label: "opening", pub: fromB64u(openingPub, 32) }];
  if (bidderEncPub) recipients.push({ label: "bidder", pub: bidderEncPub });
  const sink = await openSink();
  try {
    const result = await seal(bundle.stream(), sink.write, {
      lotId,
      bidderId,
      version,
      recipients,
      chunkSize,
      onProgress: (done) => onProgress?.("seal", done, bundle.size),
    });
    const blob = await sink.finish();
    return { blob, ...result, entries: bundle.entries, strategy: sink.strategy, cleanup: sink.cleanup };
  } catch (err) {
    await sink.abort();
    if (err?.name === "QuotaExceededError") {
      throw new Error(
        "浏览器存储空间不足，无法暂存密文；请释放磁盘空间或使用 bidhall 客户端 / not enough " +
          "browser storage for the sealed file: free disk space or use the bidhall CLI",
      );
    }
    throw err;
  }
}

/**
 * Hash the files and build the bundle's head (prepareBundle) without sealing: what the
 * confirmation step shows (each file's SHA-256), then passed to sealBid as `bundle`.
 */
export async function prepareFiles(priceForm, files, onProgress) {
  return prepareBundle(priceForm, files, {
    onHashProgress: (done, total) => onProgress?.("hash", done, total),
  });
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
