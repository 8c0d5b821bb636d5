// /bidder/lots/{id}: seal the price form and files in this browser, sign, upload, and show
// the platform's receipt checked against its public key. Or upload a file sealed with the
// CLI. The server sees ciphertext, the header digest and the signature; never the price.

import { amountInWords, checkAmount, formatFen, toFen } from "./amount.js";
import { makePriceForm } from "./bundle.js";
import { initKeys } from "./keys-ui.js";
import { api } from "./api.js";
import { downloadAndVerify } from "./document-check.js";
import { inspectSealedFile, prepareFiles, sealBid, signSubmission, upload } from "./submit.js";
import {
  checkReceiptsInPage,
  formatBytes,
  formatTime,
  show,
  showReceiptCheck,
  startCountdowns,
  statusText,
  t,
} from "./ui.js";

const $ = (id) => document.getElementById(id);
const root = $("bidder-lot");
const lot = {
  id: Number(root.dataset.lotId),
  envelopeId: root.dataset.envelopeLot,
  bidderId: root.dataset.bidderId,
  openingPub: root.dataset.openingPub,
  maxBytes: Number(root.dataset.maxBytes),
  zone: root.dataset.zone,
};
let nextVersion = Number(root.dataset.nextVersion);
let accepting = root.dataset.accepting === "true";
// Registration and security as the server judged them when the page was rendered; the
// server decides again on upload (bidding/participation/terms.py).
const mayBid = root.dataset.mayBid === "true";
let identity = null;
let busy = false;
let pending = null; // what the confirmation step shows: { priceForm, files, bundle, version }

function updateButtons() {
  for (const id of ["seal-submit", "presealed-submit", "confirm-seal"]) {
    const button = $(id);
    if (button) button.disabled = busy || !accepting || !identity || !mayBid;
  }
}

function sealError(text) {
  const el = $("seal-error");
  if (!el) return;
  if (text) show(el, text, "error");
  else el.hidden = true;
}

function progress(phase, done, total) {
  const card = $("progress-card");
  card.hidden = false;
  const bar = $("progress");
  bar.max = total || 1;
  bar.value = total ? done : 0;
  const pct = total ? ` ${Math.floor((100 * done) / total)}% (${formatBytes(done)} / ${formatBytes(total)})` : "";
  $("phase").textContent = `${t(`bidder.js.${phase}`)}…${pct}`;
  $("phase").dataset.phase = phase;
}

async function showReceipt(answer) {
  const r = answer.receipt;
  $("receipt").hidden = false;
  $("receipt").dataset.bidId = answer.bid_id;
  $("receipt").dataset.sha256 = r.ciphertext_sha256;
  $("receipt-status").textContent = `${t("bidder.js.done")} (#${answer.bid_id}, ${statusText(answer.status)})`;
  $("receipt-version").textContent = `v${r.version}`;
  $("receipt-sha256").textContent = r.ciphertext_sha256;
  $("receipt-size").textContent = `${r.size} (${formatBytes(r.size)})`;
  $("receipt-received").textContent = `${formatTime(r.received_at, lot.zone)} (${lot.zone})`;
  $("receipt-audit").textContent = r.audit_index;
  $("receipt-json").textContent = JSON.stringify(r, null, 2);
  const base = `/bidder/lots/${lot.id}/bids/${answer.bid_id}`;
  $("receipt-pdf").href = `${base}/receipt.pdf`;
  $("receipt-file").href = `${base}/receipt.json`;
  await showReceiptCheck($("receipt-verify"), r);
  // Add it on top of the submissions table; earlier active versions are now replaced.
  setStatuses("active", "replaced");
  const body = document.querySelector("#history tbody");
  body.querySelector("tr.empty")?.remove();
  const row = document.createElement("tr");
  row.dataset.bidId = answer.bid_id;
  row.dataset.status = answer.status;
  const cells = [
    `v${r.version}`,
    statusText(answer.status),
    formatTime(r.received_at, lot.zone),
    r.ciphertext_sha256,
    r.size,
  ];
  for (const [i, text] of cells.entries()) {
    const td = document.createElement("td");
    td.textContent = text;
    if (i === 1) td.className = "bid-status";
    if (i === 3) td.className = "mono";
    if (i === 4) td.className = "num";
    row.append(td);
  }
  const check = document.createElement("td");
  row.append(check);
  const links = document.createElement("td");
  for (const [i, kind] of ["pdf", "json"].entries()) {
    const a = document.createElement("a");
    a.href = `${base}/receipt.${kind}`;
    a.download = "";
    a.textContent = kind.toUpperCase();
    links.append(...(i ? [" · ", a] : [a]));
  }
  row.append(links);
  body.prepend(row);
  await showReceiptCheck(check, r);
  nextVersion = r.version + 1;
  $("next-version").textContent = nextVersion;
  const card = $("withdraw-card");
  if (card) card.hidden = answer.status !== "active";
}

/** Relabel history rows in status `from` (what the server did to earlier versions). */
function setStatuses(from, to) {
  for (const row of document.querySelectorAll(`#history tr[data-status="${from}"]`)) {
    row.dataset.status = to;
    row.querySelector(".bid-status").textContent = statusText(to);
  }
}

async function withdraw() {
  if (!window.confirm(t("bidder.js.confirm_withdraw"))) return;
  await run(async () => {
    await api("DELETE", `/api/v1/lots/${lot.id}/bids`);
    setStatuses("active", "withdrawn");
    $("withdraw-card").hidden = true;
    show($("submit-error"), t("bidder.js.withdrawn"), "ok");
    $("submit-error").dataset.status = "";
  });
}

/** Run one submission job with the progress card, errors and button state handled. */
async function run(job) {
  if (busy) return;
  busy = true;
  updateButtons();
  $("submit-error").hidden = true;
  $("receipt").hidden = true;
  try {
    await job();
  } catch (err) {
    console.error(err);
    $("progress-card").hidden = true;
    show($("submit-error"), `${t("bidder.js.failed")}: ${err.message || err}`, "error");
    $("submit-error").dataset.status = err.status ?? "";
  } finally {
    busy = false;
    updateButtons();
  }
}

/** Step 1: check the price with the platform's rules, hash the files, show what will be sealed. */
async function review(event) {
  event.preventDefault();
  sealError(null);
  pending = null;
  $("seal-confirm").hidden = true;
  if (!identity) return sealError(t("bidder.js.need_keys"));
  const checked = checkAmount($("price").value, root.dataset.maxAmount);
  if (!checked.ok) {
    const limit = checked.reason === "too_large" ? ` (≤ ${formatFen(toFen(root.dataset.maxAmount))})` : "";
    return sealError(`${t(`bidder.js.amount_${checked.reason}`)}${limit}`);
  }
  const label = root.dataset.ceilingLabel;
  const ceiling = toFen(root.dataset.ceiling);
  const above = ceiling !== null && checked.fen > ceiling;
  if (above && root.dataset.ceilingRejects === "true") {
    const why = t("bidder.js.above_ceiling_block").replace("{kind}", label);
    return sealError(`${why} (${formatFen(ceiling)}; ${root.dataset.ceilingCitation})`);
  }
  let priceForm;
  try {
    priceForm = makePriceForm({
      price: $("price").value,
      durationDays: $("duration").value,
      quality: $("quality").value.trim(),
    });
  } catch (err) {
    return sealError(err.message || String(err));
  }
  const files = [...$("bid-files").files];
  busy = true;
  updateButtons();
  try {
    progress("hash", 0, 0);
    const bundle = await prepareFiles(priceForm, files, progress);
    $("progress-card").hidden = true;
    pending = { priceForm, files, bundle, version: nextVersion };
    showConfirmation(pending, checked.fen, above ? `${t("bidder.js.above_ceiling_warn").replace("{kind}", label)} (${formatFen(ceiling)})` : "");
  } catch (err) {
    $("progress-card").hidden = true;
    sealError(err.message || String(err));
  } finally {
    busy = false;
    updateButtons();
  }
}

function showConfirmation(job, fen, warning) {
  $("confirm-price").textContent = `¥${formatFen(fen)}（${job.priceForm.price}）`;
  $("confirm-words").textContent = amountInWords(job.priceForm.price) ?? "—";
  $("confirm-duration").textContent = job.priceForm.duration_days;
  $("confirm-quality").textContent = job.priceForm.quality;
  $("confirm-version").textContent = `v${job.version}`;
  const ceiling = $("confirm-ceiling");
  ceiling.hidden = !warning;
  ceiling.textContent = warning;
  const body = document.querySelector("#confirm-files tbody");
  body.replaceChildren();
  for (const entry of job.bundle.entries) {
    const row = document.createElement("tr");
    for (const [text, cls] of [[entry.name, ""], [formatBytes(entry.size), "num"], [entry.sha256, "mono"]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      row.append(td);
    }
    body.append(row);
  }
  if (!job.bundle.entries.length) {
    const row = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 3;
    td.textContent = t("bidder.js.no_files");
    row.append(td);
    body.append(row);
  }
  // A replacement without files replaces the earlier version's files with none: say so.
  $("confirm-empty-box").hidden = job.bundle.entries.length > 0 || job.version <= 1;
  $("confirm-empty").checked = false;
  $("seal-confirm").hidden = false;
  $("seal-confirm").scrollIntoView({ block: "nearest" });
}

/** Step 2: seal what was reviewed, sign and upload. */
async function confirmSeal() {
  if (!pending) return;
  if (!$("confirm-empty-box").hidden && !$("confirm-empty").checked) {
    return sealError(t("bidder.js.confirm_empty_needed"));
  }
  sealError(null);
  const job = pending;
  pending = null;
  $("seal-confirm").hidden = true;
  await run(async () => {
    if (!identity) throw new Error(t("bidder.js.need_keys"));
    const sealed = await sealBid({
      lotId: lot.envelopeId,
      bidderId: lot.bidderId,
      version: job.version,
      openingPub: lot.openingPub,
      bidderEncPub: identity.encPub, // the bidder's own stanza, for 不见面开标 decryption
      priceForm: job.priceForm,
      bundle: job.bundle,
      onProgress: progress,
    });
    if (sealed.size > lot.maxBytes) throw new Error(`sealed bid larger than ${formatBytes(lot.maxBytes)}`);
    $("progress-card").dataset.strategy = sealed.strategy; // "opfs" or "blob", see submit.js
    let answer;
    try {
      progress("sign", 0, 0);
      const signature = await signSubmission(identity, {
        lotId: lot.envelopeId,
        bidderId: lot.bidderId,
        version: job.version,
        headerSha256: sealed.headerSha256,
        ciphertextSha256: sealed.ciphertextSha256,
      });
      progress("upload", 0, 0);
      answer = await upload(lot.id, sealed.blob, signature);
    } finally {
      await sealed.cleanup();
    }
    $("progress-card").hidden = true;
    $("seal-form").reset();
    $("price-words").textContent = "—";
    await showReceipt(answer);
  });
}

function backToForm() {
  pending = null;
  $("seal-confirm").hidden = true;
  $("price")?.focus();
}

async function uploadPresealed(event) {
  event.preventDefault();
  await run(async () => {
    const file = $("sealed-file").files[0];
    if (!file) throw new Error("no file");
    const inspected = await inspectSealedFile(file, {
      lotId: lot.envelopeId,
      bidderId: lot.bidderId,
      onProgress: progress,
    });
    const sigFile = $("sealed-sig").files[0];
    let signature;
    if (sigFile) {
      signature = (await sigFile.text()).trim();
    } else {
      if (!identity) throw new Error(t("bidder.js.need_keys"));
      progress("sign", 0, 0);
      signature = await signSubmission(identity, {
        lotId: inspected.header.lotId,
        bidderId: inspected.header.bidderId,
        version: inspected.header.version,
        headerSha256: inspected.headerSha256,
        ciphertextSha256: inspected.ciphertextSha256,
      });
    }
    progress("upload", 0, 0);
    const answer = await upload(lot.id, inspected.blob, signature);
    $("progress-card").hidden = true;
    $("presealed-form").reset();
    await showReceipt(answer);
  });
}

$("seal-form")?.addEventListener("submit", review);
$("confirm-seal")?.addEventListener("click", confirmSeal);
$("confirm-back")?.addEventListener("click", backToForm);
for (const row of document.querySelectorAll("#documents tr[data-document-id]")) {
  const button = row.querySelector(".doc-verify");
  if (!button) continue;
  button.hidden = false;
  button.addEventListener("click", () => downloadAndVerify(row));
}
$("withdraw")?.addEventListener("click", withdraw);
$("presealed-form")?.addEventListener("submit", uploadPresealed);
$("price")?.addEventListener("input", (e) => {
  $("price-words").textContent = amountInWords(e.target.value) ?? "—";
});
// A CLI-sealed file with its .sig needs no browser key: enable that form independently.
$("sealed-sig")?.addEventListener("change", () => {
  const button = $("presealed-submit");
  if (button && $("sealed-sig").files.length && accepting && mayBid && !busy) button.disabled = false;
});

startCountdowns((el) => {
  if (el.id === "countdown") {
    accepting = false; // the server refuses from the deadline on; say so before it does
    updateButtons();
  }
});
await Promise.all([
  checkReceiptsInPage(),
  initKeys((id) => {
    identity = id;
    updateButtons();
  }),
]);
document.body.dataset.ready = "true";
