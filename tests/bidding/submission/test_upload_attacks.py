"""Uploads over real HTTP: interrupted, oversized and late bodies leave no row and no blob."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import func, select

from bidding.submission.models import Bid
from bidhall.demo import DEMO_PASSWORD
from trading.kernel.runtime import Runtime


async def token(base: str, username: str) -> str:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{base}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        )
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def stored_files(rt: Runtime) -> list[Path]:
    return [p for p in rt.settings.blob_dir.rglob("*") if p.is_file()]


async def bid_rows(rt: Runtime) -> int:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(func.count(Bid.id))) or 0


async def test_interrupted_upload_leaves_nothing(
    rt: Runtime, live_server: str, publish_lot: Any
) -> None:
    lot = await publish_lot()
    bearer = await token(live_server, "bidder-1")
    before = stored_files(rt)
    url = urlparse(live_server)
    head = (
        f"POST /api/v1/lots/{lot.id}/bids HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {bearer}\r\nContent-Type: application/octet-stream\r\n"
        f"X-Bid-Signature: AAAA\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head + b"\x00" * (1024 * 1024))  # a tenth of the promised body, then gone
    # The server notices the disconnect; poll (bounded) until its staging file is gone.
    async with httpx.AsyncClient() as client:
        for _ in range(500):
            if not [p for p in stored_files(rt) if p not in before]:
                break
            await client.get(f"{live_server}/healthz")
    assert [p for p in stored_files(rt) if p not in before] == []
    assert await bid_rows(rt) == 0


@pytest.fixture
def small_limit(rt: Runtime) -> Runtime:
    # The live server reads settings from the same object: shrink the bid size limit for this test.
    object.__setattr__(rt.settings, "max_bid_bytes", 64 * 1024)
    return rt


async def test_oversized_body_is_413_and_leaves_nothing(
    small_limit: Runtime, live_server: str, publish_lot: Any
) -> None:
    rt = small_limit
    lot = await publish_lot()
    before = stored_files(rt)
    bearer = await token(live_server, "bidder-1")
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{live_server}/api/v1/lots/{lot.id}/bids",
            content=b"\x01" * (65 * 1024),
            headers={
                "authorization": f"Bearer {bearer}",
                "content-type": "application/octet-stream",
                "x-bid-signature": "AAAA",
            },
        )
    assert r.status_code == 413 and "exceeds" in r.json()["detail"]
    assert stored_files(rt) == before
    assert await bid_rows(rt) == 0
