// Tender documents on the bidder lot page: fetch one, hash it in this browser, compare with
// the SHA-256 the platform recorded when it was uploaded, and save it only when they agree.
// (The plain download link next to it works without script; this is the checked way.)

import { toHex } from "./bytes.js";
import { Sha256 } from "./sha256.js";
import { t } from "./ui.js";

/** Fetch a tender document, hash it here, compare with the recorded digest, then save it. */
export async function downloadAndVerify(row) {
  const status = row.querySelector(".doc-check");
  status.className = "doc-check";
  status.textContent = `${t("bidder.js.doc_checking")}…`;
  delete status.dataset.verified;
  try {
    const response = await fetch(`/api/v1/documents/${row.dataset.documentId}`, {
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const reader = response.body.getReader();
    const hash = new Sha256();
    const parts = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      parts.push(value);
    }
    const digest = toHex(hash.digest());
    const ok = digest === row.dataset.sha256;
    status.textContent = ok ? `✓ ${t("bidder.js.doc_ok")}` : `✗ ${t("bidder.js.doc_bad")}: ${digest}`;
    status.classList.add(ok ? "ok" : "bad");
    status.dataset.verified = ok ? "true" : "false";
    if (!ok) return;
    const url = URL.createObjectURL(new Blob(parts));
    const a = document.createElement("a");
    a.href = url;
    a.download = row.dataset.name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    status.textContent = `✗ ${err.message || err}`;
    status.classList.add("bad");
    status.dataset.verified = "false";
  }
}
