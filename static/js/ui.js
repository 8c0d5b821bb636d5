// Small page helpers shared by the bidder workspace pages: UI strings rendered by the
// server, countdowns against the server's clock, receipt checks in the page.

import { verifyReceipt } from "./signatures.js";

const data = () => document.getElementById("workspace-data")?.dataset ?? {};

let strings = null;
/** A UI string from the server's translator (the page's language), by its i18n key. */
export function t(key) {
  strings ??= JSON.parse(document.getElementById("workspace-text")?.textContent || "{}");
  return strings[key] ?? key;
}

export function platformPub() {
  return data().platformPub;
}

// The countdown must follow the *server's* clock (deadlines are enforced there), not the
// bidder's possibly wrong PC clock: measure the offset once, when the page arrives.
const serverOffset = (() => {
  const now = Date.parse(data().serverNow || "");
  return Number.isNaN(now) ? 0 : now - Date.now();
})();

export function serverNow() {
  return Date.now() + serverOffset;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

export function formatLeft(ms) {
  if (ms <= 0) return t("bidder.js.closed");
  const s = Math.floor(ms / 1000);
  const days = Math.floor(s / 86400);
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days ? `${days}${t("bidder.js.days")} ${hms}` : hms;
}

/** Tick every [data-deadline] element once a second; call onClosed(el) when one passes. */
export function startCountdowns(onClosed) {
  const els = [...document.querySelectorAll("[data-deadline]")];
  const closed = new Set();
  const tick = () => {
    for (const el of els) {
      const left = Date.parse(el.dataset.deadline) - serverNow();
      el.textContent = formatLeft(left);
      if (left <= 0 && !closed.has(el)) {
        closed.add(el);
        onClosed?.(el);
      }
    }
  };
  tick();
  return setInterval(tick, 1000);
}

// The one time format (when.js), re-exported for the bidder pages that import ui.js.
export { formatTime } from "./when.js";

export function statusText(status) {
  return t(`bidder.js.status.${status}`);
}

export function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

/** Show a receipt's verification result in an element (class ok/bad, data-verified). */
export async function showReceiptCheck(el, receipt) {
  const { ok, reason } = await verifyReceipt(receipt, platformPub());
  el.textContent = ok ? `✓ ${t("bidder.js.verified")}` : `✗ ${t("bidder.js.not_verified")}: ${reason}`;
  el.className = `${el.className.replace(/\b(ok|bad)\b/g, "").trim()} ${ok ? "ok" : "bad"}`;
  el.dataset.verified = ok ? "true" : "false";
  return ok;
}

/** Check every receipt rendered in the page's #receipt-data JSON. */
export async function checkReceiptsInPage() {
  const receipts = JSON.parse(document.getElementById("receipt-data")?.textContent || "{}");
  for (const el of document.querySelectorAll("[data-receipt-for]")) {
    const receipt = receipts[el.dataset.receiptFor];
    if (receipt) await showReceiptCheck(el, receipt);
  }
}

export function show(el, text, cls) {
  el.hidden = false;
  if (text !== undefined) el.textContent = text;
  if (cls) el.className = cls;
}
