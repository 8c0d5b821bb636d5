// The "my keys" card (bidders, custodians, experts): find this browser's keys, compare them with
// what the platform holds, generate and register keys, import the CLI's key file, back the keys
// up to that same file format. Resolves to the usable identity (or null). Revoking a lost key is
// the card's plain form (POST /keys/revoke), which works without this script.

import {
  checkSupport,
  createIdentity,
  exportIdentity,
  exportable,
  fingerprint,
  importIdentity,
  keyFileText,
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

/** The chosen file's JSON, or an Error with a sentence to show. */
async function readChosenFile(input) {
  const file = input.files?.[0];
  if (!file) throw new Error(t("bidder.js.keys.no_file"));
  try {
    return JSON.parse(await file.text());
  } catch {
    throw new Error(t("bidder.js.keys.not_json"));
  }
}

/** Offer `text` as a download through the card's link (and start it). */
function offerDownload(link, text, name) {
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  link.download = name;
  link.textContent = name;
  link.hidden = false;
  link.click();
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
  const message = $("key-message");
  const generate = $("key-generate");
  const reregister = $("key-register");
  const buttons = [generate, reregister, $("key-import"), $("key-export")];
  let identity = null;

  const fail = (err) => {
    message.hidden = true;
    show(error, err.message || String(err));
  };
  const say = (text) => {
    error.hidden = true;
    show(message, text);
  };

  async function refresh() {
    generate.hidden = reregister.hidden = true;
    identity = await loadIdentity(owner);
    const registered = await registeredKeys();
    $("key-export-box").hidden = !identity;
    $("key-lost").hidden = !registered;
    card.dataset.keyId = registered ? String(registered.key_id) : "";
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
      status.textContent = registered ? t("bidder.js.keys.other") : t("bidder.js.key_none");
      status.dataset.state = registered ? "other" : "none";
    }
    // Keys registered elsewhere: importing them is the way; new keys would revoke them.
    generate.className = registered ? "" : "primary";
    if (registered && !identity) $("key-import-box").open = true;
    generate.hidden = false;
    onChange?.(null);
    return null;
  }

  async function busy(run) {
    for (const b of buttons) b.disabled = true;
    try {
      await run();
    } catch (err) {
      fail(err);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  generate.addEventListener("click", () =>
    busy(async () => {
      await registerIdentity(await createIdentity(owner));
      await refresh();
    }),
  );
  reregister.addEventListener("click", () =>
    busy(async () => {
      await registerIdentity(identity);
      await refresh();
    }),
  );
  $("key-import").addEventListener("click", () =>
    busy(async () => {
      const doc = await readChosenFile($("key-import-file"));
      say(t("bidder.js.keys.working"));
      await importIdentity(owner, doc, $("key-import-pass").value);
      $("key-import-pass").value = "";
      await refresh();
      say(t("bidder.js.keys.imported"));
    }),
  );
  $("key-export").addEventListener("click", () =>
    busy(async () => {
      if (!exportable(identity)) throw new Error(t("bidder.js.keys.not_exportable"));
      const pass = $("key-export-pass").value;
      if (pass !== $("key-export-pass2").value) throw new Error(t("bidder.js.keys.mismatch"));
      say(t("bidder.js.keys.working"));
      const doc = await exportIdentity(identity, pass);
      $("key-export-pass").value = $("key-export-pass2").value = "";
      const name = `bidhall-${(await keyId(identity.signPub)).replace(":", "-")}.key`;
      offerDownload($("key-export-link"), keyFileText(doc), name);
      say(`${t("bidder.js.keys.exported")} ${name}`);
    }),
  );
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
