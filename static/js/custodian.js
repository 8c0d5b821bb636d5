// /custodian and /custodian/lots/{id}: the time left until each lot's opening (by the server's
// clock), the keys card, and the one-click release: fetch the share sealed to me, open it here
// with my X25519 key (HPKE, as crypto.custody.open_share), post the released share. The private
// key and the passphrase never leave the page.

import { api } from "./api.js";
import { concat, fromB64u, fromHex, toB64u, toHex, u8, utf8 } from "./bytes.js";
import { skewFrom, startCountdowns } from "./countdown.js";
import { openBase } from "./hpke.js";
import { loadIdentity, openKeyFile } from "./keys.js";
import { initKeys } from "./keys-ui.js";
import { sha256 } from "./sha256.js";
import { show, t } from "./ui.js";

const $ = (id) => document.getElementById(id);
const data = $("countdown-data").dataset;
const skew = skewFrom(data.serverNow);
startCountdowns(document.querySelectorAll("[data-deadline]:not(#countdown-data)"), {
  skew,
  due: data.due,
  lang: data.lang,
});

const SHARE_INFO = utf8("bidhall-custody/1 share"); // crypto.custody._SHARE_INFO

/** A sentence for the page, never a stack trace. */
class Refusal extends Error {}

/** The X25519 key to open my share with: a chosen key file (used once) or this browser's. */
async function myKeys(owner) {
  const file = $("release-key-file").files?.[0];
  if (file) {
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch {
      throw new Refusal(t("bidder.js.keys.not_json"));
    }
    try {
      return await openKeyFile(doc, $("release-key-pass").value, { extractable: false });
    } catch (err) {
      throw new Refusal(err.message);
    }
  }
  const stored = await loadIdentity(owner);
  if (!stored) throw new Refusal(t("custody.js.no_key"));
  return stored;
}

/** crypto.custody.open_share in the browser: the 16-byte share, or a Refusal. */
async function openShare(sealed, keys) {
  if ((await toHex(await sha256(keys.encPub))) !== sealed.custodian_fingerprint) {
    throw new Refusal(t("custody.js.wrong_key"));
  }
  try {
    const custodyId = fromB64u(sealed.custody_id, 16);
    const info = concat(SHARE_INFO, custodyId, u8(sealed.threshold), fromB64u(sealed.opening_pub, 32));
    const aad = concat(u8(sealed.index), fromHex(sealed.custodian_fingerprint));
    const share = await openBase(
      keys.encPriv,
      keys.encPub,
      fromB64u(sealed.enc, 32),
      info,
      aad,
      fromB64u(sealed.ciphertext),
    );
    return { custody_id: sealed.custody_id, index: sealed.index, share: toB64u(share) };
  } catch {
    throw new Refusal(t("custody.js.bad_share"));
  }
}

/** The server's own sentence from a problem+json answer. */
function said(err) {
  if (err.status === 409 && !err.body?.detail) return t("custody.js.too_early");
  return err.body?.detail || err.message;
}

function wireRelease(card, owner) {
  const button = $("release-share");
  const progress = $("release-progress");
  const error = $("error");
  const lotId = card.dataset.lotId;
  const deadline = Date.parse(data.deadline);
  if (button.disabled) {
    // Opens by itself when the server's clock reaches the opening time (the server decides).
    const timer = setInterval(() => {
      if (Date.now() + skew >= deadline) {
        clearInterval(timer);
        button.disabled = false;
        $("too-early")?.setAttribute("hidden", "");
      }
    }, 1000);
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.hidden = true;
    progress.textContent = t("custody.js.working");
    try {
      const keys = await myKeys(owner);
      let sealed;
      try {
        sealed = await api("GET", `/api/v1/lots/${lotId}/custody/mine`);
      } catch (err) {
        throw new Refusal(said(err));
      }
      const released = await openShare(sealed, keys);
      progress.textContent = t("custody.js.sending");
      let answer;
      try {
        answer = await api("POST", `/api/v1/lots/${lotId}/custody/release`, {
          json: { share: released },
        });
      } catch (err) {
        throw new Refusal(said(err));
      }
      // The page words the outcome (已提交，开标进行中 / 已完成解密) with the fresh progress.
      window.location.assign(`/custodian/lots/${lotId}?released=${encodeURIComponent(answer.state)}`);
    } catch (err) {
      progress.textContent = "";
      const text = err instanceof Refusal ? err.message : `${t("custody.js.failed")}${err.message || err}`;
      show(error, text);
      error.dataset.failed = "true";
      button.disabled = false;
    }
  });
}

const owner = $("keys")?.dataset.owner;
const card = $("release-card");
if (card && owner) wireRelease(card, owner);
await initKeys();
document.body.dataset.ready = "true";
