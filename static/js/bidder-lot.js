// /bidder/lots/{id}: seal the price form and files in this browser, sign, upload, and show
// the platform's receipt checked against its public key. Or upload a file sealed with the
// CLI. The server sees ciphertext, the header digest and the signature; never the price.

import { amountInWords } from "./amount.js";
import { makePriceForm } from "./bundle.js";
import { initKeys } from "./keys-ui.js";
import { api } from "./api.js";
import { inspectSealedFile, sealBid, signSubmission, upload } from "./submit.js";
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
let identity = null;
let busy = false;

function updateButtons() {
  for (const id of ["seal-submit", "presealed-submit"]) {
    const button = $(id);
    if (button) button.disabled = busy || !accepting || !identity;
  }
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

async function sealAndSubmit(event) {
  event.preventDefault();
  await run(async () => {
    if (!identity) throw new Error(t("bidder.js.need_keys"));
    const priceForm = makePriceForm({
      price: $("price").value,
      durationDays: $("duration").value,
      quality: $("quality").value.trim(),
    });
    const files = [...$("bid-files").files];
    const version = nextVersion;
    progress("hash", 0, 0);
    const sealed = await sealBid({
      lotId: lot.envelopeId,
      bidderId: lot.bidderId,
      version,
      openingPub: lot.openingPub,
      bidderEncPub: identity.encPub, // the bidder's own stanza, for 不见面开标 decryption
      priceForm,
      files,
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
        version,
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

$("seal-form")?.addEventListener("submit", sealAndSubmit);
$("withdraw")?.addEventListener("click", withdraw);
$("presealed-form")?.addEventListener("submit", uploadPresealed);
$("price")?.addEventListener("input", (e) => {
  $("price-words").textContent = amountInWords(e.target.value) ?? "—";
});
// A CLI-sealed file with its .sig needs no browser key: enable that form independently.
$("sealed-sig")?.addEventListener("change", () => {
  const button = $("presealed-submit");
  if (button && $("sealed-sig").files.length && accepting && !busy) button.disabled = false;
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
