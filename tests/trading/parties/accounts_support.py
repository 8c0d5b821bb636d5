"""Sign-up and claim helpers for the account tests (real API, real blobs)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.clients import Client
from trading.kernel.codes import uscc_check_char

PASSWORD = "a-long-password-1"
LICENCE = b"%PDF-1.4\n% a business licence scan\n1 0 obj <<>> endobj\n%%EOF\n"


def uscc(n: int) -> str:
    body17 = f"91450100MA5KXY{n:03d}"
    return body17 + uscc_check_char(body17)


async def sign_up(client: Client | httpx.AsyncClient, username: str, **extra: str) -> Any:
    r = await client.post(
        "/api/v1/auth/signup",
        json={"username": username, "password": PASSWORD, "display_name": username, **extra},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def token(client: Client | httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def claim(
    client: Client | httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    *,
    name: str = "广西真实建设有限公司",
    center: str = "450100",
    licence: bytes = LICENCE,
) -> httpx.Response:
    return await client.post(
        "/api/v1/me/claims",
        data={"uscc": code, "org_name": name, "center": center},
        files={"licence": ("营业执照.pdf", licence, "application/pdf")},
        headers=headers,
    )


async def signed_up_claimant(
    client: Client | httpx.AsyncClient, username: str, code: str, **kw: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    """A new person who has claimed `code`: (their API headers, the claim)."""
    await sign_up(client, username)
    headers = await token(client, username)
    r = await claim(client, headers, code, **kw)
    assert r.status_code == 201, r.text
    return headers, r.json()
