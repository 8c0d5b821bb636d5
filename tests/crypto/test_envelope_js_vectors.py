"""static/js against the Python reference, in a real Chromium: the known-answer vectors byte
for byte, a browser-sealed multi-chunk bundle opened by crypto.envelope, and the small
pieces (SHA-256, canonical JSON, header parsing, receipts) the sealing depends on."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from crypto import bundle, envelope, receipts, signing
from crypto.canonical import canonical_json
from crypto.encoding import b64u_decode, b64u_encode
from crypto.keys import ed25519_generate, x25519_generate

VECTORS = json.loads((Path(__file__).parent / "vectors" / "envelope.json").read_text("utf-8"))[
    "vectors"
]


@pytest.fixture
async def page(browser: Browser, live_server: str) -> Page:
    """A page on the server's origin: http://127.0.0.1 is a secure context for WebCrypto."""
    tab = await browser.new_page()
    await tab.goto(live_server + "/healthz")
    return tab


SEAL_VECTORS_JS = """
async ({ vectors, split }) => {
  const env = await import("/static/js/envelope.js");
  const { concat, fromHex, toHex } = await import("/static/js/bytes.js");
  // Feed the plaintext in uneven pieces, as File slices would arrive, to exercise rechunking.
  async function* pieces(bytes) {
    for (let at = 0, n = 1; at < bytes.length; at += n, n = (n * 7) % 23 + 1) {
      yield bytes.subarray(at, at + n);
    }
  }
  const out = [];
  for (const v of vectors) {
    const parts = [];
    const plaintext = fromHex(v.plaintext);
    const result = await env.sealDeterministic(
      split ? pieces(plaintext) : plaintext,
      async (bytes) => parts.push(bytes),
      {
        lotId: v.lot_id,
        bidderId: v.bidder_id,
        version: v.version,
        chunkSize: v.chunk_size,
        minChunkForTests: 64,
        recipients: v.recipients.map((r) => ({ label: r.label, pub: fromHex(r.pub) })),
        fileKey: fromHex(v.file_key),
        noncePrefix: fromHex(v.nonce_prefix),
        ephemeralPrivs: v.recipients.map((r) => fromHex(r.eph_priv)),
      },
    );
    out.push({
      name: v.name,
      envelope: toHex(concat(...parts)),
      header: toHex(result.header),
      header_sha256: result.headerSha256,
      ciphertext_sha256: result.ciphertextSha256,
      hpke_info: toHex(concat(env.HPKE_INFO_PREFIX, env.binding(v.lot_id, v.bidder_id, v.version))),
      header_key: toHex(await env.headerKey(fromHex(v.file_key))),
      payload_key: toHex(await env.payloadKey(fromHex(v.file_key), fromHex(v.nonce_prefix))),
    });
  }
  return out;
}
"""


@pytest.mark.parametrize("split", [False, True], ids=["whole", "uneven-pieces"])
async def test_js_reproduces_every_known_answer_vector(page: Page, split: bool) -> None:
    got = await page.evaluate(SEAL_VECTORS_JS, {"vectors": VECTORS, "split": split})
    assert [g["name"] for g in got] == [v["name"] for v in VECTORS]
    for vector, mine in zip(VECTORS, got, strict=True):
        for field in (
            "hpke_info",
            "header_key",
            "payload_key",
            "header",
            "header_sha256",
            "ciphertext_sha256",
            "envelope",
        ):
            assert mine[field] == vector[field], f"{vector['name']}: {field} differs"


SEAL_BUNDLE_JS = """
async ({ openingPub, bidderPub, big, opfs }) => {
  if (!opfs) StorageManager.prototype.getDirectory = () => Promise.reject(new Error("no OPFS"));
  const { makePriceForm } = await import("/static/js/bundle.js");
  const { sealBid, submissionMessage } = await import("/static/js/submit.js");
  const { toB64u, fromB64u } = await import("/static/js/bytes.js");
  const data = new Uint8Array(big);
  for (let i = 0; i < big; i++) data[i] = (i * 31 + (i >> 10)) & 0xff;
  const files = [
    new File([data], "技术标.bin"),
    new File(["投标函：我方承诺按招标文件要求完成本工程。"], "投标函.txt"),
    new File([], "空文件.txt"),
  ];
  const phases = new Set();
  const sealed = await sealBid({
    lotId: "lot-7",
    bidderId: "91450100MA0000002X",
    version: 3,
    openingPub,
    bidderEncPub: fromB64u(bidderPub, 32),
    priceForm: makePriceForm({ price: "09087654.30", durationDays: "365", quality: "优良" }),
    files,
    onProgress: (phase) => phases.add(phase),
  });
  const bytes = new Uint8Array(await sealed.blob.arrayBuffer());
  await sealed.cleanup();
  return {
    sealed: toB64u(bytes),
    headerSha256: sealed.headerSha256,
    ciphertextSha256: sealed.ciphertextSha256,
    size: sealed.size,
    parts: sealed.blob.size,
    strategy: sealed.strategy,
    phases: [...phases],
    message: toB64u(submissionMessage("lot-7", "91450100MA0000002X", 3, sealed.headerSha256,
      sealed.ciphertextSha256)),
  };
}
"""


def _pattern(n: int) -> bytes:
    return bytes((i * 31 + (i >> 10)) & 0xFF for i in range(n))


@pytest.mark.parametrize("strategy", ["opfs", "blob"])
async def test_python_opens_a_browser_sealed_multi_chunk_bundle(page: Page, strategy: str) -> None:
    opening_priv, opening_pub = x25519_generate()
    bidder_priv, bidder_pub = x25519_generate()
    big = (1 << 20) + 4321  # production chunk size (1 MiB): the bundle spans two chunks
    got: dict[str, Any] = await page.evaluate(
        SEAL_BUNDLE_JS,
        {
            "openingPub": b64u_encode(opening_pub),
            "bidderPub": b64u_encode(bidder_pub),
            "big": big,
            "opfs": strategy == "opfs",
        },
    )
    sealed = b64u_decode(got["sealed"])
    assert len(sealed) == got["size"] == got["parts"]
    assert set(got["phases"]) == {"hash", "seal"}
    assert got["strategy"] == strategy  # both ways of holding the sealed bytes work
    assert hashlib.sha256(sealed).hexdigest() == got["ciphertextSha256"]
    header = envelope.read_header(io.BytesIO(sealed))
    assert header.sha256 == got["headerSha256"]
    assert header.labels == ("opening", "bidder")
    assert header.chunk_size == envelope.DEFAULT_CHUNK_SIZE
    assert b64u_decode(got["message"]) == receipts.submission_message(
        "lot-7", "91450100MA0000002X", 3, header.sha256, got["ciphertextSha256"]
    )
    for priv in (opening_priv, bidder_priv):  # both stanzas open, with the same result
        plain = io.BytesIO()
        envelope.open_envelope(
            io.BytesIO(sealed),
            plain,
            recipient_priv=priv,
            expect_lot="lot-7",
            expect_bidder="91450100MA0000002X",
            expect_version=3,
        )
        assert len(plain.getvalue()) > envelope.DEFAULT_CHUNK_SIZE  # more than one chunk
        plain.seek(0)
        form, files = bundle.unpack_bundle(plain)
        assert form == bundle.make_price_form(price="9087654.30", duration_days=365, quality="优良")
        entries = list(files)
        assert [(e.name, e.size) for e in entries] == [
            ("技术标.bin", big),
            ("投标函.txt", len("投标函：我方承诺按招标文件要求完成本工程。".encode())),
            ("空文件.txt", 0),
        ]
        assert entries[0].sha256 == hashlib.sha256(_pattern(big)).hexdigest()
    # Any flipped byte in the browser's output is caught by the Python opener.
    bad = bytearray(sealed)
    bad[len(header.raw) + 10] ^= 1
    with pytest.raises(envelope.ChunkAuthError):
        envelope.open_envelope(io.BytesIO(bytes(bad)), io.BytesIO(), recipient_priv=opening_priv)


SHA_JS = """
async (sizes) => {
  const { Sha256 } = await import("/static/js/sha256.js");
  const { toHex } = await import("/static/js/bytes.js");
  const out = [];
  for (const size of sizes) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 131 + 7) & 0xff;
    const h = new Sha256();
    for (let at = 0, n = 1; at < size; at += n, n = (n * 5) % 97 + 1) {
      h.update(data.subarray(at, at + n));
    }
    const web = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    out.push([toHex(h.digest()), toHex(web)]);
  }
  return out;
}
"""


async def test_incremental_sha256_matches_hashlib(page: Page) -> None:
    sizes = [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, (1 << 20) + 3]
    got = await page.evaluate(SHA_JS, sizes)
    for size, (mine, web) in zip(sizes, got, strict=True):
        expected = hashlib.sha256(bytes((i * 131 + 7) & 0xFF for i in range(size))).hexdigest()
        assert mine == web == expected, size


CANONICAL_CASES: list[Any] = [
    {"b": 1, "a": "x", "c": [True, False, None]},
    {'quote"back\\slash': "line\nfeed\ttab\x01\x1f\x7f", "u2028": "\u2028\u2029"},
    {"中文键": "投标人", "😀": "astral", "\uffff": "bmp-max", "Z": {"y": [], "x": {}}},
    {"price_form": {"price": "9100000.00", "duration_days": 180, "quality": "合格"}},
    -42,
    "",
]


async def test_canonical_json_matches_python(page: Page) -> None:
    got = await page.evaluate(
        """async (cases) => {
          const { canonicalJson } = await import("/static/js/canonical.js");
          const { toB64u } = await import("/static/js/bytes.js");
          const out = cases.map((c) => toB64u(canonicalJson(c)));
          const refused = [];
          for (const bad of [1.5, { a: 2 ** 60 }, "\\ud800"]) {
            try { canonicalJson(bad); refused.push(false); } catch { refused.push(true); }
          }
          return { out, refused };
        }""",
        CANONICAL_CASES,
    )
    assert [b64u_decode(x) for x in got["out"]] == [canonical_json(c) for c in CANONICAL_CASES]
    assert got["refused"] == [True, True, True]


async def test_js_reads_python_headers_and_verifies_platform_signatures(page: Page) -> None:
    _, opening_pub = x25519_generate()
    sealed = envelope.seal_bytes(
        b"x" * 100,
        lot_id="lot-12",
        bidder_id="91450100MA0000002X",
        version=5,
        recipients=[("opening", opening_pub)],
    )
    platform_priv, platform_pub = ed25519_generate()
    receipt = receipts.issue_receipt(
        platform_priv,
        lot_id="lot-12",
        bidder_id="91450100MA0000002X",
        version=5,
        ciphertext_sha256=hashlib.sha256(sealed).hexdigest(),
        size=len(sealed),
        received_at="2026-03-02T01:00:00+00:00",
        audit_index=17,
        key_id="ed25519:" + hashlib.sha256(platform_pub).hexdigest()[:16],
    )
    forged = {**receipt, "size": receipt["size"] + 1}
    cert = signing.certify(
        platform_priv,
        {
            "party_id": "user:9",
            "name": "广西路桥工程集团有限公司",
            "sign_pub": b64u_encode(ed25519_generate()[1]),
            "enc_pub": b64u_encode(opening_pub),
            "issued_at": "2026-03-02T01:00:00+00:00",
        },
    )
    got = await page.evaluate(
        """async ({ sealed, receipt, forged, cert, pub }) => {
          const { readHeader } = await import("/static/js/envelope.js");
          const { fromB64u, toHex } = await import("/static/js/bytes.js");
          const sig = await import("/static/js/signatures.js");
          const header = readHeader(fromB64u(sealed));
          let refused = "";
          try { readHeader(new TextEncoder().encode("PK\\u0003\\u0004 not an envelope")); }
          catch (err) { refused = err.message; }
          return {
            header: [header.lotId, header.bidderId, header.version, header.chunkSize,
                     header.stanzas.map((s) => [s.label, s.fingerprint]), toHex(header.raw)],
            refused,
            receipt: await sig.verifyReceipt(receipt, pub),
            forged: await sig.verifyReceipt(forged, pub),
            cert: await sig.verifyCertificate(cert, pub, cert.subject),
          };
        }""",
        {
            "sealed": b64u_encode(sealed),
            "receipt": receipt,
            "forged": forged,
            "cert": cert,
            "pub": b64u_encode(platform_pub),
        },
    )
    header = envelope.read_header(io.BytesIO(sealed))
    assert got["header"] == [
        "lot-12",
        "91450100MA0000002X",
        5,
        envelope.DEFAULT_CHUNK_SIZE,
        [["opening", hashlib.sha256(opening_pub).hexdigest()]],
        header.raw.hex(),
    ]
    assert "bad magic" in got["refused"]
    assert got["receipt"] == {"ok": True, "reason": ""}
    assert got["forged"]["ok"] is False
    assert got["cert"] == {"ok": True, "reason": ""}


SEAL_PRICES_JS = """
async ({ openingPub, bidderPub, prices, doc }) => {
  const { makePriceForm, prepareBundle, MAX_PRICE_FORM } = await import("/static/js/bundle.js");
  const { sealBid } = await import("/static/js/submit.js");
  const { toB64u, fromB64u } = await import("/static/js/bytes.js");
  const out = [];
  for (const price of prices) {
    const sealed = await sealBid({
      lotId: "lot-9",
      bidderId: "91450100MA0000002X",
      version: 1,
      openingPub,
      bidderEncPub: fromB64u(bidderPub, 32),
      priceForm: makePriceForm({ price, durationDays: "365", quality: "合格" }),
      files: [new File([fromB64u(doc)], "技术标.pdf")],
    });
    const bytes = new Uint8Array(await sealed.blob.arrayBuffer());
    await sealed.cleanup();
    out.push({ size: sealed.size, sealed: toB64u(bytes) });
  }
  const refused = [];
  const huge = { price: "1.00", currency: "CNY", duration_days: 1, quality: "合".repeat(1400) };
  try { makePriceForm({ price: "1.00", durationDays: 1, quality: huge.quality }); }
  catch (err) { refused.push(err.message); }
  try { await prepareBundle(huge, []); } catch (err) { refused.push(err.message); }
  return { out, refused, max: MAX_PRICE_FORM };
}
"""


async def test_browser_sealed_bids_differing_only_in_price_have_one_size(page: Page) -> None:
    """The browser pads exactly as crypto/bundle.py does: the same five sizes, and each
    bundle byte for byte what Python packs for the same form and file."""
    prices = ["0.01", "99.00", "937251.46", "12345678.90", "9999999999999.99"]
    opening_priv, opening_pub = x25519_generate()
    _, bidder_pub = x25519_generate()
    doc = b"%PDF-1.7 browser technical proposal " * 333
    got: dict[str, Any] = await page.evaluate(
        SEAL_PRICES_JS,
        {
            "openingPub": b64u_encode(opening_pub),
            "bidderPub": b64u_encode(bidder_pub),
            "prices": prices,
            "doc": b64u_encode(doc),
        },
    )
    sizes = [item["size"] for item in got["out"]]
    python_sealed = envelope.seal_bytes(
        _python_bundle("5.00", doc),
        lot_id="lot-9",
        bidder_id="91450100MA0000002X",
        version=1,
        recipients=[("opening", opening_pub), ("bidder", bidder_pub)],
    )
    assert sizes == [len(python_sealed)] * len(prices)
    for price, item in zip(prices, got["out"], strict=True):
        sealed = b64u_decode(item["sealed"])
        assert len(sealed) == item["size"]
        plain = envelope.open_bytes(sealed, recipient_priv=opening_priv)
        assert plain == _python_bundle(price, doc)
        assert bundle.read_price_form(io.BytesIO(plain))["price"] == price
    assert got["max"] == bundle.MAX_PRICE_FORM
    assert len(got["refused"]) == 2
    assert all("more than 4096" in message for message in got["refused"])


def _python_bundle(price: str, doc: bytes) -> bytes:
    out = io.BytesIO()
    form = bundle.make_price_form(price=price, duration_days=365, quality="合格")
    bundle.pack_bundle(form, [("技术标.pdf", io.BytesIO(doc))], out)
    return out.getvalue()
