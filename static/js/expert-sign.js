// The expert signs in the browser (评标室): the no-conflict declaration and the evaluation
// report, each with the Ed25519 key this browser holds and the platform registered (the
// bidders' key card, keys-ui.js). The server rebuilt each statement from its own records and
// verifies the signature; here we build the same statement, sign its canonical JSON, and put
// the signature into the form, which then posts as usual.

import { canonicalJson } from "./canonical.js";
import { sign } from "./keys.js";
import { initKeys } from "./keys-ui.js";
import { toHex } from "./bytes.js";
import { sha256 } from "./sha256.js";
import { show, t } from "./ui.js";

const $ = (id) => document.getElementById(id);
const json = (id) => JSON.parse($(id).textContent);

let identity = null;
const forms = [$("declare-form"), $("sign-form")].filter(Boolean);

function ready(id) {
  identity = id;
  for (const form of forms) {
    form.querySelector("button[type=submit]").disabled = !id;
    const need = form.querySelector(".need-key");
    if (need) need.hidden = Boolean(id);
  }
}

/** The statement for the declaration: exactly as the server built it. */
function declaration() {
  return json("declaration-statement");
}

/** The statement for the report: its digest recomputed here from the document shown. */
async function reportStatement(form) {
  const doc = json("report-document");
  const digest = toHex(await sha256(canonicalJson(doc)));
  if (digest !== form.dataset.sha256) {
    throw new Error(`${t("expert.js.digest_mismatch")} (${digest})`);
  }
  const dissent = form.elements.dissent.value.trim();
  form.elements.dissent.value = dissent; // the server verifies exactly what is signed
  return {
    type: "bidhall-evaluation-report-signature",
    v: 1,
    lot_id: Number(form.dataset.lot),
    version: Number(form.dataset.version),
    report_sha256: digest,
    position: Number(form.dataset.position),
    dissent,
  };
}

for (const form of forms) {
  const error = form.querySelector(".sign-error");
  form.addEventListener("submit", async (event) => {
    if (form.elements.signature.value) return; // signed: post it
    event.preventDefault();
    error.hidden = true;
    if (!identity) {
      show(error, t("bidder.js.need_keys"));
      return;
    }
    try {
      const statement = form.id === "declare-form" ? declaration() : await reportStatement(form);
      form.elements.signature.value = await sign(identity, canonicalJson(statement));
      form.submit();
    } catch (err) {
      show(error, err.message || String(err));
    }
  });
}

ready(null);
initKeys(ready);
