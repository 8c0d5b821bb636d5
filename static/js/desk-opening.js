// The lot desk's opening tab (/center/lots/{id}/opening): the countdown by the server's clock and
// a refresh of each custodian's and bidder's status every few seconds, from the JSON route the
// page names. Without script the page shows the same status as of its loading.

import { skewFrom, startCountdowns } from "./countdown.js";

const POLL_MS = 5000;
const data = document.getElementById("desk-data").dataset;
const desk = document.getElementById("opening-desk");
const lang = data.lang;

startCountdowns(document.querySelectorAll("#countdown[data-deadline]"), {
  skew: skewFrom(data.serverNow),
  due: data.due,
  lang,
});

const format = new Intl.DateTimeFormat("sv-SE", {
  timeZone: data.tz || undefined,
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const text = (el, value) => { if (el && el.textContent !== value) el.textContent = value; };
const attr = (name) => data[name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] || "";

function show(status) {
  text(document.getElementById("opening-state"), attr(`state-${status.state}`) || status.state);
  text(document.getElementById("threshold"), `${status.released} / ${status.threshold}`);
  text(document.getElementById("key-state"), status.key_recovered ? data.keyRecovered : data.keyPending);
  for (const c of status.custodians) {
    const row = document.querySelector(`#custodians tr[data-custodian-id="${c.user_id}"] td.share`);
    if (!row) continue;
    const released = c.released_at !== null;
    if (row.dataset.released === String(released)) continue;
    row.dataset.released = String(released);
    row.classList.toggle("status-yes", released);
    row.classList.toggle("status-no", !released);
    text(row, released ? `${data.released} · ${format.format(new Date(c.released_at))}` : data.notReleased);
  }
  const changed = (status.bidders === null) !== (document.getElementById("bidders") === null);
  for (const b of status.bidders || []) {
    const cell = document.querySelector(`#bidders tr[data-org-id="${b.org_id}"] td.status`);
    if (!cell) continue;
    text(cell, attr(`status-${b.status}`) || b.status);
    cell.classList.toggle("status-yes", b.status === "decrypted");
    cell.classList.toggle("status-no", b.status !== "decrypted");
  }
  // The bidder list appears with the opening, the record link with the record: a new page.
  const recordShown = document.querySelector("a#record-link") !== null;
  if (changed || status.record_published !== recordShown) location.reload();
}

async function poll() {
  try {
    const response = await fetch(desk.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) show(await response.json());
  } catch {
    // offline for a moment: the next poll tries again
  }
}

setInterval(poll, POLL_MS);
