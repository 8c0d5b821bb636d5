"""Throughput and memory of the sealed-envelope format.

    .venv/bin/python bench/envelope_throughput.py [--sizes 64M,256M,1G,2G] [--dir DIR]

For each size an input file is written to a temp dir, then each measurement runs in its
own child process so peak RSS (VmHWM) growth is clean:

  raw   read file, AES-256-GCM per 1 MiB chunk (fresh cipher each), SHA-256 of the
        ciphertext, write file -- what any sealer must at least do; the reference
  cpu   the same without writing the output (compute + read only), for context
  seal  crypto.envelope.seal (file -> file), which also hashes header+payload
  open  crypto.envelope.open_envelope (file -> file)

Throughput is plaintext MB/s (1 MB = 10^6 bytes); the ratios are against `raw` from the
same run (and, in brackets, against `cpu`).
Targets: ratio >= 0.7, RSS growth <= 64 MiB at 2 GiB.

Why `raw` does file I/O: a sealer has to read its input and write its output, and on
this kind of machine writing 1 GiB costs as much as encrypting it, so a compute-only
reference would measure the disk, not the format. `cpu` is printed to show that cost.
Pass --dir /dev/shm to take the disk out of both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 1 << 20


def _vm_hwm_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("VmHWM not found in /proc/self/status")


def _parse_size(text: str) -> int:
    text = text.strip().upper()
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _child(op: str, src: str, dst: str, keyfile: str) -> None:
    """Run one measurement; print JSON with seconds and VmHWM growth."""
    from Crypto.Cipher import AES
    from Crypto.Random import get_random_bytes

    from crypto.envelope import open_envelope, seal

    keys = json.loads(Path(keyfile).read_text())
    priv, pub = bytes.fromhex(keys["priv"]), bytes.fromhex(keys["pub"])
    hwm0 = _vm_hwm_kib()
    t0 = time.perf_counter()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        if op in ("raw", "cpu"):
            key = get_random_bytes(32)
            digest = hashlib.sha256()
            counter = 0
            while block := fin.read(CHUNK):
                nonce = counter.to_bytes(12, "big")
                ct, tag = AES.new(key, AES.MODE_GCM, nonce=nonce).encrypt_and_digest(block)
                digest.update(ct)
                digest.update(tag)
                if op == "raw":
                    fout.write(ct)
                    fout.write(tag)
                counter += 1
        elif op == "seal":
            seal(fin, fout, lot_id="bench-lot", bidder_id="bench-bidder", version=1,
                 recipients=[("opening", pub)])  # fmt: skip
        elif op == "open":
            open_envelope(fin, fout, recipient_priv=priv)
        else:
            raise SystemExit(f"unknown op {op}")
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "hwm_growth_kib": _vm_hwm_kib() - hwm0}))


def _measure(op: str, src: Path, dst: Path, keyfile: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", op, str(src), str(dst), str(keyfile)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def _write_input(path: Path, size: int) -> None:
    # A 64 MiB random block repeated: incompressible for every chunk-sized window.
    block = os.urandom(min(size, 64 << 20))
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="64M,256M")
    parser.add_argument("--dir", default=None, help="where temp files go (default: system)")
    parser.add_argument("--child", nargs=4, metavar=("OP", "SRC", "DST", "KEYS"))
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    from crypto.keys import x25519_generate

    priv, pub = x25519_generate()
    sizes = [(s, _parse_size(s)) for s in args.sizes.split(",") if s.strip()]
    header = (
        f"{'size':>6} | {'raw MB/s':>8} {'cpu MB/s':>8} | {'seal MB/s':>9} {'ratio':>11} "
        f"{'RSS+MiB':>7} | {'open MB/s':>9} {'ratio':>11} {'RSS+MiB':>7}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        d = Path(tmp)
        keyfile = d / "keys.json"
        keyfile.write_text(json.dumps({"priv": priv.hex(), "pub": pub.hex()}))
        for label, size in sizes:
            plain, sealed, opened = d / "plain", d / "sealed", d / "opened"
            _write_input(plain, size)
            raw = _measure("raw", plain, d / "raw.out", keyfile)
            (d / "raw.out").unlink()
            cpu = _measure("cpu", plain, d / "cpu.out", keyfile)
            s = _measure("seal", plain, sealed, keyfile)
            o = _measure("open", sealed, opened, keyfile)
            if opened.stat().st_size != size:
                raise SystemExit("round trip changed the size")
            mb = size / 1e6
            raw_r, cpu_r, seal_r, open_r = (mb / m["seconds"] for m in (raw, cpu, s, o))
            print(
                f"{label:>6} | {raw_r:8.0f} {cpu_r:8.0f} | {seal_r:9.0f} "
                f"{seal_r / raw_r:5.2f} ({seal_r / cpu_r:.2f}) {s['hwm_growth_kib'] / 1024:7.1f} | "
                f"{open_r:9.0f} {open_r / raw_r:5.2f} ({open_r / cpu_r:.2f}) "
                f"{o['hwm_growth_kib'] / 1024:7.1f}",
                flush=True,
            )
            for p in (plain, sealed, opened):
                p.unlink()


if __name__ == "__main__":
    main()
