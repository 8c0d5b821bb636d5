// /lots/{id}/opening: the signed record never changes; confirmations, objections and their
// answers live beside it and are fetched here. The page hands over the lot, zone and wording.

import { formatTime } from "./when.js";

const table = document.getElementById("record-responses");
const { lot, zone } = table.dataset;
const T = JSON.parse(document.getElementById("record-text").textContent);
const local = (iso) => formatTime(iso, zone);

document.getElementById("print-link").addEventListener("click", (e) => {
  e.preventDefault();
  window.print();
});

const res = await fetch(`/api/v1/lots/${lot}/opening/responses`, { headers: { Accept: "application/json" } });
if (res.ok) {
  const data = await res.json();
  if (data.window_ends_at) document.getElementById("record-window").textContent = `${T.window}：${local(data.window_ends_at)}`;
  if (data.responses.length) {
    const body = table.tBodies[0];
    body.textContent = "";
    for (const r of data.responses) {
      const tr = body.insertRow();
      tr.insertCell().textContent = local(r.created_at);
      tr.insertCell().textContent = r.bidder;
      tr.insertCell().textContent = T[r.kind] + (r.text ? `：${r.text}` : "");
      tr.insertCell().textContent =
        r.kind === "objection" ? (r.answer ? `${r.answer}（${local(r.answered_at)}）` : T.pending) : "—";
    }
  }
}
table.dataset.ready = "true";
