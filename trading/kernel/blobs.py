"""Content-addressed blob storage (documents, sealed bids): local directory now, S3 later."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from trading.kernel.errors import PayloadTooLarge


@dataclass(frozen=True)
class StagedBlob:
    """A fully received upload, hashed, not yet visible under its digest."""

    path: Path
    sha256: str
    size: int


WRITE_BATCH = 1 << 20


def _finish(out: BinaryIO, tail: bytes) -> None:
    with out:
        out.write(tail)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore(Protocol):
    async def stage(self, chunks: AsyncIterable[bytes], *, max_size: int) -> StagedBlob: ...
    def commit(self, staged: StagedBlob) -> None: ...
    def discard(self, staged: StagedBlob) -> None: ...
    def put_bytes(self, data: bytes) -> str: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def delete(self, sha256: str) -> None: ...


class LocalBlobStore:
    """Blobs at root/ab/cd/<sha256>; uploads stream to root/tmp and are renamed in place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def stage(self, chunks: AsyncIterable[bytes], *, max_size: int) -> StagedBlob:
        """Stream to a temp file while hashing; constant memory; nothing left behind on error.

        Writes go to a worker thread in ~1 MiB batches so a slow disk never stalls the event
        loop that is serving every other bidder at the deadline.
        """
        digest, size = hashlib.sha256(), 0
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        out = os.fdopen(fd, "wb")
        pending = bytearray()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise PayloadTooLarge(
                        f"上传内容超过上限 {max_size} 字节 / body exceeds {max_size} bytes"
                    )
                digest.update(chunk)
                pending += chunk
                if len(pending) >= WRITE_BATCH:
                    batch, pending = bytes(pending), bytearray()
                    await asyncio.to_thread(out.write, batch)
            await asyncio.to_thread(_finish, out, bytes(pending))
        except BaseException:
            out.close()
            os.unlink(name)
            raise
        return StagedBlob(Path(name), digest.hexdigest(), size)

    def commit(self, staged: StagedBlob) -> None:
        target = self.path_for(staged.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)
        _fsync_dir(target.parent)  # the rename itself must survive a crash before a receipt

    def discard(self, staged: StagedBlob) -> None:
        staged.path.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.tmp)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(name, target)
        return sha

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    @contextmanager
    def opened(self, sha256: str) -> Iterator[BinaryIO]:
        with self.open(sha256) as fh:
            yield fh


async def iter_file(path: Path, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
    """A file as the async chunk stream `stage` takes (used for local, non-HTTP submissions)."""
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            yield chunk
