"""Content-addressed blob storage (documents, sealed bids): local directory now, S3 later."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from trading.kernel.errors import PayloadTooLarge

T = TypeVar("T")


@dataclass(frozen=True)
class StagedBlob:
    """A fully received upload, hashed, not yet visible under its digest."""

    path: Path
    sha256: str
    size: int


WRITE_BATCH = 1 << 20
# Blob I/O (hashing, writes, fsync) runs on threads of its own: at a deadline hundreds of
# uploads fsync at once, and on the loop's default executor (cpu + 4 threads) those waits
# would queue every other to_thread caller (password hashing, audit hashing) behind them.
# hashlib and file writes release the GIL, so the threads overlap the loop for real.
IO_THREADS = 16
_io_pool = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="blob-io")


async def off_loop(fn: Callable[..., T], *args: object) -> T:
    """Run blocking blob I/O on the blob threads."""
    return await asyncio.get_running_loop().run_in_executor(_io_pool, fn, *args)


def _absorb(out: BinaryIO, digest: hashlib._Hash, chunks: list[bytes]) -> None:
    for chunk in chunks:
        digest.update(chunk)
        out.write(chunk)


def _finish(out: BinaryIO, digest: hashlib._Hash, tail: list[bytes]) -> None:
    with out:
        _absorb(out, digest, tail)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _abandon(out: BinaryIO, name: str) -> None:
    out.close()
    Path(name).unlink(missing_ok=True)


class BlobStore(Protocol):
    async def stage(self, chunks: AsyncIterable[bytes], *, max_size: int) -> StagedBlob: ...
    async def publish(self, staged: StagedBlob) -> bool: ...
    async def settle(self, staged: StagedBlob, *, created: bool, kept: bool) -> None: ...
    def commit(self, staged: StagedBlob) -> None: ...
    def discard(self, staged: StagedBlob) -> None: ...
    def put_bytes(self, data: bytes) -> str: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def delete(self, sha256: str) -> None: ...


class LocalBlobStore:
    """Blobs at root/ab/cd/<sha256>; uploads stream to root/tmp and are linked in place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        # Digest -> requests between `publish` and `settle`: a blob is taken back only when
        # no other request of this process is about to name it.
        self._claims: dict[str, int] = {}
        self._claims_lock = threading.Lock()

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def stage(self, chunks: AsyncIterable[bytes], *, max_size: int) -> StagedBlob:
        """Stream to a temp file while hashing; constant memory; nothing left behind on error.

        The event loop only collects chunks: each ~1 MiB batch is hashed and written on a blob
        thread while the next batch is received (one batch in flight, so order is kept and
        memory stays at two batches), and the final fsync runs there too. At a deadline the
        loop serves every other bidder and the database; SHA-256 of 2.5 GB on it would be
        seconds of stall.
        """
        digest, size = hashlib.sha256(), 0
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        out = os.fdopen(fd, "wb")
        pending: list[bytes] = []
        pending_size = 0
        inflight: asyncio.Future[None] | None = None
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise PayloadTooLarge(
                        f"上传内容超过上限 {max_size} 字节 / body exceeds {max_size} bytes"
                    )
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= WRITE_BATCH:
                    if inflight is not None:
                        await inflight
                    inflight = asyncio.ensure_future(off_loop(_absorb, out, digest, pending))
                    pending, pending_size = [], 0
            if inflight is not None:
                await inflight
            inflight = asyncio.ensure_future(off_loop(_finish, out, digest, pending))
            await inflight
        except BaseException:
            if inflight is not None and not inflight.done():
                # A thread still writes to `out` (one batch): let it finish before the file
                # is closed and removed, so nothing is left behind when this returns.
                with contextlib.suppress(BaseException):
                    await asyncio.shield(inflight)
            if inflight is not None and not inflight.done():  # interrupted again meanwhile
                inflight.add_done_callback(lambda _f: _abandon(out, name))
            else:
                _abandon(out, name)
            raise
        return StagedBlob(Path(name), digest.hexdigest(), size)

    async def publish(self, staged: StagedBlob) -> bool:
        """Make a staged upload visible under its digest, durably, before the row that names it
        commits (a crash in between leaves an unreferenced blob, never a row without one).

        Returns whether this call created the blob. One already there has the same bytes (the
        same digest); then the staged file stays until `settle`, in case whoever created the
        blob takes it back because its own row did not commit.
        """
        return await off_loop(self._publish, staged)

    def _publish(self, staged: StagedBlob) -> bool:
        target = self.path_for(staged.sha256)
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            _fsync_dir(target.parent.parent)  # the new directories' own entries
            _fsync_dir(self.root)
        with self._claims_lock:
            try:
                os.link(staged.path, target)
                created = True
            except FileExistsError:
                created = False
            self._claims[staged.sha256] = self._claims.get(staged.sha256, 0) + 1
        if not created:
            return False
        _fsync_dir(target.parent)  # the link must survive a crash before any receipt does
        return True

    async def settle(self, staged: StagedBlob, *, created: bool, kept: bool) -> None:
        """After the transaction. `kept`: a committed row names the blob, which is made sure to
        be there. Otherwise a blob this request `created` goes, unless another request of this
        process published the same bytes meanwhile. The staged file goes in any case."""
        await off_loop(self._settle, staged, created, kept)

    def _settle(self, staged: StagedBlob, created: bool, kept: bool) -> None:
        target = self.path_for(staged.sha256)
        relink = False
        with self._claims_lock:
            left = self._claims.pop(staged.sha256, 1) - 1
            if left:
                self._claims[staged.sha256] = left
            if kept:
                relink = not target.exists()  # its creator took it back: these are the bytes
            elif created and not left:
                target.unlink(missing_ok=True)
        if relink:
            self._publish(staged)
            self._settle(staged, False, False)  # the claim _publish took
        staged.path.unlink(missing_ok=True)

    def commit(self, staged: StagedBlob) -> None:
        """Move a staged upload in place inside the caller's transaction (documents)."""
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

    @contextlib.contextmanager
    def opened(self, sha256: str) -> Iterator[BinaryIO]:
        with self.open(sha256) as fh:
            yield fh


async def iter_file(path: Path, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
    """A file as the async chunk stream `stage` takes (used for local, non-HTTP submissions)."""
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_size):
            yield chunk
