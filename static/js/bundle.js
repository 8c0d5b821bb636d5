// The sealed content (crypto/bundle.py): the price form (开标一览表) and the bid files in one
// container, so the price is as secret as the documents.
//
//   "BHBNDL" 0x00 0x02 || u32(M) || u32(P) || manifest (canonical JSON, M <= 1 MiB)
//   || P zero bytes || file bodies
//
// The zeros pad the head to whole 4 KiB blocks as if the price form always took
// MAX_PRICE_FORM bytes, so the sealed size says nothing about the price (docs/envelope.md).
//
// The manifest lists each file's size and SHA-256 before the bodies, so packing reads each
// File twice: once to hash, once to copy into the envelope. Both passes go slice by slice
// (File.slice), so a multi-GB file is never held in memory.

import { concat, toHex, u32, utf8 } from "./bytes.js";
import { canonicalJson } from "./canonical.js";
import { Sha256 } from "./sha256.js";

export const BUNDLE_MAGIC = Uint8Array.of(0x42, 0x48, 0x42, 0x4e, 0x44, 0x4c, 0x00, 0x02);
export const MAX_MANIFEST = 1 << 20;
export const MAX_PRICE_FORM = 4096;
export const PAD_BLOCK = 4096;
const HEAD = BUNDLE_MAGIC.length + 8; // magic, u32 M, u32 P
export const MAX_FILES = 10000;
const SLICE = 1 << 20;
const FORBIDDEN = new Set('/\\:*?"<>|');

export class BundleError extends Error {}

/** The platform's price-amount rule: positive, at most two decimals, plain digits. */
export function normalisePrice(text) {
  const raw = String(text ?? "").trim();
  if (!/^\d+(\.\d{1,2})?$/.test(raw)) {
    throw new BundleError("报价须为正数、最多两位小数，如 9100000.00 / price must be digits with at most 2 decimals");
  }
  // Python's str(Decimal("0091.5")) is "91.5": drop leading zeros the same way.
  const [int, frac] = raw.split(".");
  const norm = (int.replace(/^0+(?=\d)/, "") || "0") + (frac === undefined ? "" : `.${frac}`);
  if (!/[1-9]/.test(norm)) throw new BundleError("报价必须大于零 / price must be positive");
  // What both databases store exactly (trading.kernel.money.MAX_AMOUNT): a larger price would
  // be revoked at the opening, so say it now, while it can still be corrected.
  if (norm.split(".")[0].length > 13) {
    throw new BundleError("报价超出平台可记录的范围（最多 13 位整数）/ price too large: at most 13 integer digits");
  }
  return norm;
}

/** A price form shaped like crypto.bundle.make_price_form's. */
export function makePriceForm({ price, durationDays, quality, currency = "CNY", extra = {} }) {
  const days = Number(durationDays);
  if (!Number.isSafeInteger(days) || days <= 0) {
    throw new BundleError("工期须为正整数（天）/ duration must be a positive number of days");
  }
  if (typeof quality !== "string" || !quality.trim()) {
    throw new BundleError("请填写质量承诺 / the quality commitment is required");
  }
  const form = { ...extra, price: normalisePrice(price), currency, duration_days: days, quality };
  priceFormSize(form); // refuses floats, odd values and oversized forms now, not while sealing
  return form;
}

/** The form's canonical JSON length (crypto.bundle.price_form_size), at most MAX_PRICE_FORM. */
export function priceFormSize(form) {
  const size = canonicalJson(form).length;
  if (size > MAX_PRICE_FORM) {
    throw new BundleError(
      `开标一览表过长（${size} 字节，上限 ${MAX_PRICE_FORM}）/ ` +
        `the price form is ${size} bytes, more than ${MAX_PRICE_FORM}`,
    );
  }
  return size;
}

/** Zero bytes after the manifest (crypto.bundle.pad_length): the head fills whole blocks as if
 * the price form were MAX_PRICE_FORM bytes, so only the file list moves the sealed size. */
export function padLength(manifestSize, formSize) {
  const budget = HEAD + manifestSize - formSize + MAX_PRICE_FORM;
  return Math.ceil(budget / PAD_BLOCK) * PAD_BLOCK - HEAD - manifestSize;
}

/** A plain file name, safe to create on any OS (the rule of crypto/bundle.py _check_name). */
export function checkName(name) {
  const bad = () => new BundleError(`文件名不可用 / bad file name ${JSON.stringify(name)}`);
  if (typeof name !== "string" || !name || name === "." || name === "..") throw bad();
  if (utf8(name).length > 255 || name !== name.trim() || name.startsWith(".")) throw bad();
  for (const c of name) if (FORBIDDEN.has(c) || /\p{C}/u.test(c)) throw bad();
  return name;
}

async function hashFile(file, onBytes) {
  const digest = new Sha256();
  for (let at = 0; at < file.size; at += SLICE) {
    const piece = new Uint8Array(await file.slice(at, at + SLICE).arrayBuffer());
    digest.update(piece);
    onBytes?.(piece.length);
  }
  return toHex(digest.digest());
}

/**
 * Prepare a bundle of `priceForm` and `files` (File or Blob objects with a `name`).
 * Hashes every file first (`onHashProgress(bytesDone, bytesTotal)`), then returns
 * { manifest, entries, size, stream } where `stream()` is an async iterable of the bundle
 * bytes, reading each file again slice by slice.
 */
export async function prepareBundle(priceForm, files, { onHashProgress } = {}) {
  if (files.length > MAX_FILES) throw new BundleError(`at most ${MAX_FILES} files`);
  const formSize = priceFormSize(priceForm);
  const seen = new Set();
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const entries = [];
  for (const file of files) {
    checkName(file.name);
    // Python compares names with casefold(); toLowerCase() agrees for the names people use.
    const folded = file.name.toLowerCase();
    if (seen.has(folded)) throw new BundleError(`文件重名 / duplicate file name ${file.name}`);
    seen.add(folded);
    const sha256 = await hashFile(file, (n) => onHashProgress?.((done += n), total));
    entries.push({ name: file.name, size: file.size, sha256 });
  }
  const manifest = canonicalJson({
    type: "bidhall-bundle",
    v: 1,
    price_form: priceForm,
    files: entries,
  });
  if (manifest.length > MAX_MANIFEST) throw new BundleError("bundle manifest larger than 1 MiB");
  const pad = padLength(manifest.length, formSize);
  const head = concat(BUNDLE_MAGIC, u32(manifest.length), u32(pad), manifest, new Uint8Array(pad));
  async function* stream() {
    yield head;
    // No second hash here (crypto/bundle.py re-hashes): a File from <input> is a snapshot,
    // and the browser refuses to read it (NotReadableError) once the file on disk changed.
    // That saves a full pass of JS SHA-256 over multi-GB files; the size is still checked.
    for (const [i, file] of files.entries()) {
      let size = 0;
      for (let at = 0; at < entries[i].size; at += SLICE) {
        const piece = new Uint8Array(await file.slice(at, at + SLICE).arrayBuffer());
        size += piece.length;
        yield piece;
      }
      if (size !== entries[i].size || file.size !== entries[i].size) {
        throw new BundleError(`文件在密封过程中被修改 / file ${file.name} changed while sealing`);
      }
    }
  }
  return { manifest, entries, size: head.length + total, stream };
}
