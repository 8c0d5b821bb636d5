// The hall's decryption part: the roster (who has checked in and decrypted, which custodians
// released, the time left in the decryption window) for every viewer, and for a bidder of the
// lot its own bid decrypted in this browser (不见面开标). The bidder's X25519 key (IndexedDB,
// made here or imported, keys.js) unwraps the file key from its own stanza of the envelope
// header; only the file key goes to the server (POST .../bids/mine/file-key). The events come
// from hall.js's stream, dispatched on the document as "hall:<kind>".

import { api } from "./api.js";
import { concat, equalBytes, fromB64u, toB64u, toHex, u8, utf8 } from "./bytes.js";
import { formatLeft } from "./countdown.js";
import { HPKE_INFO_PREFIX, MAC_LEN, binding, headerKey, readHeader } from "./envelope.js";
import { hmacSha256, openBase } from "./hpke.js";
import { loadIdentity } from "./keys.js";
import { sha256 } from "./sha256.js";
import { formatTime } from "./when.js";

const $ = (id) => document.getElementById(id);
const hall = $("hall");
const LOT = Number(hall.dataset.lot);
const ZONE = hall.dataset.zone;
const LANG = hall.dataset.lang;
const T = JSON.parse($("window-text").textContent);
const panel = $("my-opening");

let skew = 0;
let endsAt = 0;
let myPosition = panel && panel.dataset.position ? Number(panel.dataset.position) : 0;
let lastRoster = null;

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function bidStatus(roster, position) {
  for (const s of ["decrypted", "revoked", "failed"]) if (roster[s].includes(position)) return s;
  return "active";
}

function showRoster(roster) {
  if (!roster) return;
  lastRoster = roster;
  $("roster-hidden").hidden = true;
  $("roster-box").hidden = false;
  endsAt = Date.parse(roster.decrypt_ends_at);
  $("window-ends").textContent = formatTime(roster.decrypt_ends_at, ZONE);
  const rows = $("roster-rows");
  rows.textContent = "";
  for (let i = 1; i <= roster.bidders; i++) {
    const tr = document.createElement("tr");
    const status = bidStatus(roster, i);
    tr.dataset.position = String(i);
    tr.dataset.status = status;
    const who = cell(`${T.bidder} ${i}`);
    if (i === myPosition) {
      tr.className = "mine";
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = T.mine;
      who.append(" ", tag);
    }
    tr.append(who, cell(roster.checked_in.includes(i) ? T.yes : T.no));
    tr.appendChild(cell(T[`bid.${status}`], status === "active" ? "status-no" : "status-yes"));
    rows.appendChild(tr);
  }
  const custodians = $("custodian-rows");
  custodians.textContent = "";
  for (let i = 1; i <= roster.custodians; i++) {
    const tr = document.createElement("tr");
    const done = roster.released.includes(i);
    tr.dataset.released = done ? "1" : "0";
    tr.append(cell(`${T.custodian} ${i}`), cell(done ? T.released : T.not_released));
    custodians.appendChild(tr);
  }
  tick();
}

function tick() {
  if (!endsAt) return;
  $("window-left").textContent = formatLeft(endsAt - (Date.now() + skew), { due: T.over, lang: LANG });
}
setInterval(tick, 1000);

// ---- the bidder's own bid ------------------------------------------------------------------

let asked = 0;
async function refreshMine() {
  if (!panel) return;
  const ask = ++asked;
  const mine = await api("GET", `/api/v1/lots/${LOT}/opening/mine`);
  if (ask !== asked) return; // a later answer is on its way (events can overlap)
  if (mine.position && mine.position !== myPosition) {
    myPosition = mine.position;
    showRoster(lastRoster); // mark our row, learnt only now
  }
  if (mine.bid_status) $("my-bid-status").textContent = T[`bid.${mine.bid_status}`] || mine.bid_status;
  $("decrypt-box").hidden = !mine.can_decrypt;
  panel.dataset.canDecrypt = mine.can_decrypt ? "true" : "false";
}

/** The file key from the stanza sealed to this browser's X25519 key, its header MAC checked. */
async function unwrapOwn(header, identity) {
  const fingerprint = await sha256(identity.encPub);
  const stanza = header.stanzas.find((s) => s.fingerprint === toHex(fingerprint));
  if (!stanza) {
    throw new Error("本浏览器的密钥不是密封该投标时的密钥 / this browser's key did not seal this bid");
  }
  const info = concat(HPKE_INFO_PREFIX, binding(header.lotId, header.bidderId, header.version));
  const label = utf8(stanza.label);
  const aad = concat(u8(label.length), label, fingerprint);
  const fileKey = await openBase(identity.encPriv, identity.encPub, stanza.enc, info, aad, stanza.wrappedKey);
  const raw = header.raw;
  const mac = await hmacSha256(await headerKey(fileKey), raw.subarray(0, raw.length - MAC_LEN));
  if (!equalBytes(mac, raw.subarray(raw.length - MAC_LEN))) throw new Error("header MAC mismatch");
  return fileKey;
}

async function decryptOwn() {
  const msg = $("decrypt-msg");
  const button = $("decrypt-own-btn");
  msg.className = "";
  msg.textContent = T.decrypting;
  button.disabled = true;
  try {
    const identity = await loadIdentity(panel.dataset.owner);
    if (!identity) {
      $("no-key").hidden = false;
      msg.textContent = "";
      return;
    }
    const { header } = await api("GET", `/api/v1/lots/${LOT}/bids/mine/header`);
    const fileKey = await unwrapOwn(readHeader(fromB64u(header)), identity);
    await api("POST", `/api/v1/lots/${LOT}/bids/mine/file-key`, { json: { file_key: toB64u(fileKey) } });
    msg.textContent = T.decrypted;
    msg.dataset.done = "true";
  } catch (err) {
    msg.className = "error";
    msg.textContent = T.failed + (err.body?.detail || err.message);
  } finally {
    button.disabled = false;
    await refreshMine().catch(() => {});
  }
}

if (panel) $("decrypt-own-btn").addEventListener("click", decryptOwn);

document.addEventListener("hall:snapshot", (e) => {
  skew = Date.parse(e.detail.now) - Date.now();
  showRoster(e.detail.roster);
  refreshMine().catch(() => {});
});
document.addEventListener("hall:roster", (e) => showRoster(e.detail));
document.addEventListener("hall:state", () => refreshMine().catch(() => {}));
