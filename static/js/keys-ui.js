// The "my keys" card: find this browser's keys, compare them with what the platform holds,
// and let the bidder generate and register keys. Resolves to the usable identity (or null).

import {
  checkSupport,
  createIdentity,
  fingerprint,
  keyId,
  loadIdentity,
  matches,
  publicKeys,
  registerIdentity,
  registeredKeys,
} from "./keys.js";
import { verifyCertificate } from "./signatures.js";
import { platformPub, show, t } from "./ui.js";

const $ = (id) => document.getElementById(id);

async function showRegistered(identity, answer) {
  const mine = publicKeys(identity);
  $("key-fingerprint").textContent = `${await keyId(identity.signPub)} · ${await fingerprint(identity.signPub)}`;
  $("key-enc-fingerprint").textContent = await fingerprint(identity.encPub);
  const cert = answer.certificate;
  const check = await verifyCertificate(cert, platformPub(), mine);
  const status = $("key-cert-status");
  status.textContent = check.ok ? `✓ ${t("bidder.js.cert_ok")}` : `✗ ${t("bidder.js.cert_bad")}: ${check.reason}`;
  status.className = check.ok ? "ok" : "bad";
  status.dataset.verified = String(check.ok);
  $("key-cert-summary").textContent = `${cert.subject?.party_id} · ${cert.subject?.name} · ${cert.subject?.issued_at}`;
  $("key-certificate").textContent = JSON.stringify(cert, null, 2);
  $("key-details").hidden = false;
}

/**
 * Wire the keys card. `onChange(identity|null)` is called whenever the usable identity
 * changes (registered on the platform and present in this browser).
 */
export async function initKeys(onChange) {
  const card = $("keys");
  if (!card) return null;
  const owner = card.dataset.owner;
  const status = $("key-status");
  const error = $("key-error");
  const generate = $("key-generate");
  const reregister = $("key-register");
  let identity = null;

  const fail = (err) => show(error, err.message || String(err));

  async function refresh() {
    error.hidden = true;
    generate.hidden = reregister.hidden = true;
    identity = await loadIdentity(owner);
    const registered = await registeredKeys();
    if (identity && matches(identity, registered)) {
      status.textContent = t("bidder.js.key_ok");
      status.dataset.state = "ok";
      await showRegistered(identity, registered);
      onChange?.(identity);
      return identity;
    }
    $("key-details").hidden = true;
    if (identity) {
      status.textContent = t("bidder.js.key_unregistered");
      status.dataset.state = "unregistered";
      reregister.hidden = false;
    } else {
      status.textContent = registered ? t("bidder.js.key_other") : t("bidder.js.key_none");
      status.dataset.state = registered ? "other" : "none";
    }
    generate.hidden = false;
    onChange?.(null);
    return null;
  }

  async function register(make) {
    generate.disabled = reregister.disabled = true;
    try {
      const id = make ? await createIdentity(owner) : identity;
      await registerIdentity(id);
      await refresh();
    } catch (err) {
      fail(err);
    } finally {
      generate.disabled = reregister.disabled = false;
    }
  }

  generate.addEventListener("click", () => register(true));
  reregister.addEventListener("click", () => register(false));
  try {
    await checkSupport();
    return await refresh();
  } catch (err) {
    status.textContent = "";
    fail(err);
    onChange?.(null);
    return null;
  }
}
