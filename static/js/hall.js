// /lots/{id}/hall: the live opening hall. One EventSource brings a snapshot, then every change
// (state, key shares, decryption, the signed record read out row by row, confirmations and
// objections, presence). The page hands over the lot, viewer and wording in #hall and
// #hall-text; nothing here is inline, so the page runs under script-src 'self'.

import { formatLeft } from "./countdown.js";
import { formatTime, formatYuan } from "./when.js";

const $ = (id) => document.getElementById(id);
const hall = $("hall");
const LOT = Number(hall.dataset.lot);
const ME = hall.dataset.me;
const CAN_ANSWER = hall.dataset.canAnswer === "true";
const CSRF = hall.dataset.csrf;
const ZONE = hall.dataset.zone;
const LANG = hall.dataset.lang;
const T = JSON.parse($("hall-text").textContent);

// One time format (the center's wall clock) and one amount format, as the server prints them.
const local = (iso) => formatTime(iso, ZONE);
const money = formatYuan;
const cell = (text, cls) => {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
};

let skew = 0;
let deadline = 0;
let windowEnd = 0;
let record = null;
const responses = new Map();
let online = new Set();
let maxShares = 0;
let maxDone = 0;

function tick() {
  if (!deadline) return;
  $("countdown").textContent = formatLeft(deadline - (Date.now() + skew), { due: T.due, lang: LANG });
}
setInterval(tick, 1000);

function log(key, extra, at) {
  const li = document.createElement("li");
  li.textContent = `${local(at || new Date(Date.now() + skew).toISOString())} ${T[`ev.${key}`] || key}${extra ? ` · ${extra}` : ""}`;
  $("log").appendChild(li);
  $("log").scrollTop = $("log").scrollHeight;
}

function setState(s, reason) {
  const tag = $("hall-state");
  tag.textContent = T[`state.${s}`] || s;
  tag.className = `tag state-${s}`;
  if (s === "failed") {
    $("failure").hidden = false;
    $("failure").textContent = T.failed + (reason ? `：${reason}` : "");
  }
}

// Progress bars are sized through the CSSOM (element.style), which CSP's style-src allows;
// a style="" attribute in markup would not be.
function setCustody(c) {
  maxShares = Math.max(maxShares, c.released);
  $("custody").textContent = `${maxShares} / ${c.threshold}`;
  $("custody-bar").style.width = `${c.threshold ? Math.min(100, (100 * maxShares) / c.threshold) : 0}%`;
  $("custody-note").textContent = `${c.custodians} ${T.custodians}`;
}

function setDecrypt(d) {
  maxDone = Math.max(maxDone, d.done);
  $("decrypt").textContent = `${maxDone} / ${d.total}`;
  $("decrypt-bar").style.width = `${d.total ? (100 * maxDone) / d.total : 0}%`;
}

function setBids(n) {
  if (n === null || n === undefined) return;
  $("bid-count").textContent = n;
  $("bid-count-note").textContent = "";
}

function setPresence(p, list) {
  $("presence-bidders").textContent = p.bidders;
  $("presence-viewers").textContent = p.viewers;
  if (list) {
    online = new Set(list);
    markOnline();
  }
}

function markOnline() {
  for (const tr of $("record-rows").children) {
    const dot = tr.querySelector(".dot");
    if (dot) dot.hidden = !online.has(tr.dataset.uscc);
  }
}

function recordRow(row, i) {
  const tr = document.createElement("tr");
  tr.dataset.uscc = row.uscc;
  const mine = ME && row.uscc === ME;
  if (mine) tr.className = "mine";
  tr.appendChild(cell(String(i + 1)));
  const who = cell(row.bidder);
  const dot = document.createElement("span");
  dot.className = "dot";
  dot.title = T.online;
  dot.hidden = !online.has(row.uscc);
  who.appendChild(dot);
  if (mine) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = T.mine;
    who.append(" ", tag);
  }
  const code = document.createElement("div");
  code.className = "mono";
  code.textContent = row.uscc;
  who.appendChild(code);
  tr.appendChild(who);
  tr.appendChild(cell(money(row.price), "num"));
  const form = row.price_form || {};
  tr.appendChild(cell(form.duration_days ?? "—"));
  tr.appendChild(cell(form.quality ?? "—"));
  const outcome = cell(T[`outcome.${row.outcome}`] || row.outcome);
  if (row.cause) {
    const c = document.createElement("div");
    c.className = "error";
    c.textContent = row.cause;
    outcome.appendChild(c);
  }
  tr.appendChild(outcome);
  tr.appendChild(cell(`${row.sha256.slice(0, 16)}…`, "mono"));
  return tr;
}

function showRecord(signed) {
  if (record) return; // the record is signed once; never redrawn differently
  record = signed;
  $("record-note").hidden = true;
  $("record-links").hidden = false;
  const body = $("record-rows");
  body.textContent = "";
  // 唱标: rows are read out one after another.
  signed.record.rows.forEach((row, i) => {
    setTimeout(() => body.appendChild(recordRow(row, i)), 250 * i);
  });
  updateRespond();
}

function upsertResponse(r) {
  responses.set(r.id, r);
  updateRespond();
  const body = $("response-rows");
  body.textContent = "";
  const list = [...responses.values()].sort((a, b) => a.id - b.id);
  for (const x of list) {
    const tr = document.createElement("tr");
    tr.dataset.id = x.id;
    tr.appendChild(cell(local(x.created_at)));
    tr.appendChild(cell(x.bidder));
    const what = cell(T[`kind.${x.kind}`] || x.kind);
    if (x.text) {
      const d = document.createElement("div");
      d.textContent = x.text;
      what.appendChild(d);
    }
    tr.appendChild(what);
    const ans = cell(x.kind === "objection" ? (x.answer ?? T.pending) : "—");
    if (x.answer) {
      const d = document.createElement("div");
      d.className = "label";
      d.textContent = local(x.answered_at);
      ans.appendChild(d);
    }
    if (x.kind === "objection" && !x.answer && CAN_ANSWER) ans.appendChild(answerForm(x.id));
    tr.appendChild(ans);
    body.appendChild(tr);
  }
  if (!list.length) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    const td = cell(T.none);
    td.colSpan = 4;
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

function answerForm(id) {
  const box = document.createElement("div");
  const text = document.createElement("textarea");
  text.maxLength = 2000;
  const btn = document.createElement("button");
  btn.className = "primary";
  btn.type = "button";
  btn.textContent = T.answer;
  const err = document.createElement("span");
  err.className = "error";
  btn.addEventListener("click", () =>
    post(`/api/v1/lots/${LOT}/opening/objections/${id}/answer`, { text: text.value }, err),
  );
  box.append(text, btn, " ", err);
  return box;
}

function updateRespond() {
  const mineInRecord = record && ME && record.record.rows.some((r) => r.uscc === ME);
  const open = windowEnd && Date.now() + skew < windowEnd;
  $("respond").hidden = !(mineInRecord && open);
  // Confirm or object, not both (条例 44); an answered objection may then be confirmed.
  const mine = [...responses.values()].filter((x) => x.uscc === ME);
  const confirmed = mine.some((x) => x.kind === "confirm");
  const objection = mine.find((x) => x.kind === "objection");
  $("confirm-row").hidden = confirmed || (objection !== undefined && !objection.answer);
  $("object-row").hidden = confirmed || objection !== undefined;
  const state = confirmed ? T["you.confirmed"] : objection ? T[objection.answer ? "you.answered" : "you.objected"] : "";
  $("respond-state").textContent = state;
  $("respond-state").hidden = !state;
  if (windowEnd) {
    $("window").hidden = false;
    $("window-end").textContent = local(new Date(windowEnd).toISOString()) + (open ? "" : `（${T.closed}）`);
  }
}
setInterval(updateRespond, 5000);

async function post(path, body, errorEl) {
  errorEl.textContent = "";
  const res = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF, Accept: "application/json" },
    body: body === null ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    errorEl.textContent = problem.detail || res.statusText;
    return null;
  }
  return res.json(); // the stream brings the change to every viewer, this one included
}
$("confirm-btn").addEventListener("click", () =>
  post(`/api/v1/lots/${LOT}/opening/confirm`, null, $("respond-error")),
);
$("object-btn").addEventListener("click", async () => {
  const sent = await post(`/api/v1/lots/${LOT}/opening/objections`, { text: $("objection-text").value }, $("respond-error"));
  if (sent) $("objection-text").value = "";
});

function applySnapshot(s) {
  skew = Date.parse(s.now) - Date.now();
  deadline = Date.parse(s.deadline);
  setState(s.state, s.failure_reason);
  setCustody(s.custody);
  if (s.key_recovered) $("custody-note").textContent = T.recovered;
  setBids(s.bids);
  setDecrypt(s.decrypt);
  setPresence(s.presence, s.online);
  if (s.window_ends_at) windowEnd = Date.parse(s.window_ends_at);
  if (s.record) showRecord(s.record);
  for (const r of s.responses) upsertResponse(r);
  tick();
  updateRespond();
}

function connect() {
  const es = new EventSource(`/lots/${LOT}/hall/events`);
  // Each event is also dispatched on the document ("hall:<kind>") for the page's other
  // modules (decrypt-own.js: the roster and the bidder's own panel).
  const on = (kind, fn) =>
    es.addEventListener(kind, (e) => {
      const data = JSON.parse(e.data);
      fn(data);
      document.dispatchEvent(new CustomEvent(`hall:${kind}`, { detail: data }));
    });
  on("snapshot", (s) => {
    applySnapshot(s);
    $("conn").textContent = T.live;
    $("conn").className = "live";
    hall.dataset.connected = "1";
  });
  on("state", (d) => {
    setState(d.state, d.reason);
    setBids(d.bids);
    log("state", T[`state.${d.state}`], d.at);
  });
  on("share", (d) => {
    setCustody(d);
    log("share", `${d.released} / ${d.threshold}`, d.at);
  });
  on("key", (d) => {
    $("custody-note").textContent = T.recovered;
    log("key", "", d.at);
  });
  on("decrypt", (d) => {
    setDecrypt(d);
    log("decrypt", `${d.done} / ${d.total}`, d.at);
  });
  on("record", (d) => {
    showRecord(d);
    log("record", "", d.at);
  });
  on("response", (d) => {
    upsertResponse(d);
    log("response", `${d.bidder} ${T[`kind.${d.kind}`]}`, d.at);
  });
  on("presence", (d) => setPresence(d, d.online));
  on("roster", () => {});
  es.addEventListener("error", () => {
    $("conn").textContent = T.reconnecting;
    $("conn").className = "down";
    hall.dataset.connected = "0";
  });
}
connect();
