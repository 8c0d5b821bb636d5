"""The blob path of a sealed upload: hashed and written off the event loop, linked in place
before the row commits, and taken back only when no bid and no other upload names it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from trading.kernel.blobs import WRITE_BATCH, LocalBlobStore, StagedBlob
from trading.kernel.errors import PayloadTooLarge


def tmp_files(store: LocalBlobStore) -> list[Path]:
    return list(store.tmp.iterdir())


async def chunks(data: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    """`data` cut in pieces of the given sizes, cycling (uploads arrive in uneven pieces)."""
    at, i = 0, 0
    while at < len(data):
        yield data[at : at + sizes[i % len(sizes)]]
        at += sizes[i % len(sizes)]
        i += 1


async def test_stage_hashes_and_stores_every_byte_in_order(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(3 * WRITE_BATCH + 12345)  # several batches in flight, and a tail

    staged = await store.stage(chunks(data, [65536, 1, 300_000, 4097]), max_size=len(data))

    assert staged.size == len(data)
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.path.read_bytes() == data


async def test_an_oversized_upload_leaves_no_staging_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(2 * WRITE_BATCH)
    with pytest.raises(PayloadTooLarge):
        await store.stage(chunks(data, [65536]), max_size=WRITE_BATCH + 1)
    assert tmp_files(store) == []


async def test_a_broken_upload_leaves_no_staging_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")

    async def cut_off() -> AsyncIterator[bytes]:
        yield b"\x01" * 1000
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        await store.stage(cut_off(), max_size=1 << 20)
    assert tmp_files(store) == []


async def twice(store: LocalBlobStore, data: bytes) -> tuple[StagedBlob, StagedBlob]:
    """Two uploads of the same bytes (one envelope sent twice)."""
    a = await store.stage(chunks(data, [4096]), max_size=len(data))
    b = await store.stage(chunks(data, [4096]), max_size=len(data))
    assert a.sha256 == b.sha256 and a.path != b.path
    return a, b


async def test_a_refused_upload_takes_back_the_blob_it_created(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    staged = await store.stage(chunks(b"sealed", [3]), max_size=100)
    assert await store.publish(staged) is True
    assert store.exists(staged.sha256)  # visible (and durable) before the row commits

    await store.settle(staged, created=True, kept=False)  # its transaction was refused

    assert not store.exists(staged.sha256)
    assert tmp_files(store) == []


async def test_a_blob_another_upload_is_about_to_name_is_not_taken_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(10_000)
    a, b = await twice(store, data)
    assert await store.publish(a) is True
    assert await store.publish(b) is False  # already there: same digest, same bytes

    # a's transaction failed (say, the client went away) while b's was still to come.
    await store.settle(a, created=True, kept=False)
    assert store.exists(a.sha256)
    await store.settle(b, created=False, kept=True)  # b's row committed

    with store.open(b.sha256) as fh:
        assert fh.read() == data
    assert tmp_files(store) == []


async def test_an_admitted_upload_puts_back_a_blob_its_creator_took_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(10_000)
    a, b = await twice(store, data)
    assert await store.publish(a) is True
    assert await store.publish(b) is False
    store.delete(a.sha256)  # gone behind b's back, whatever the reason

    await store.settle(b, created=False, kept=True)  # b's row names it: it must be there

    assert store.exists(b.sha256)
    with store.open(b.sha256) as fh:
        assert fh.read() == data
    await store.settle(a, created=True, kept=True)
    assert tmp_files(store) == []
