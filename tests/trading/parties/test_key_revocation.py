"""Issue 13 item 3, a lost key: a party revokes its own key (never another's), the revocation
is audited and race-safe, a bid signed with the revoked key is refused, and new keys register."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bidhall.demo import demo_user
from crypto.keys import generate_identity
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.kernel.errors import DomainError
from trading.kernel.runtime import Runtime
from trading.parties.models import PartyKey


async def current_key(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    r = await client.get("/api/v1/me/keys", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def revocations(rt: Runtime) -> list[AuditEntry]:
    async with rt.sessionmaker() as session:
        return list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "keys.revoke"))
        )


async def test_revoke_own_key_audited_then_a_new_key_registers(client: Client, rt: Runtime) -> None:
    me = await bearer(client, "bidder-1")
    key = await current_key(client, me)

    r = await client.post(f"/api/v1/me/keys/{key['key_id']}/revoke", headers=me)
    assert r.status_code == 200, r.text
    assert r.json()["key_id"] == key["key_id"] and r.json()["revoked_at"]
    gone = await client.get("/api/v1/me/keys", headers=me)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")

    [entry] = await revocations(rt)
    user = await demo_user(rt, "bidder-1")
    assert entry.actor_id == user.id
    body = json.loads(entry.body)
    assert body["detail"]["key_id"] == key["key_id"], body
    assert body["detail"]["sign_pub"] == key["sign_pub"]

    again = await client.post(f"/api/v1/me/keys/{key['key_id']}/revoke", headers=me)
    assert again.status_code == 409
    assert "already revoked" in again.json()["detail"]
    assert len(await revocations(rt)) == 1

    fresh = generate_identity().public().to_dict()
    r = await client.put("/api/v1/me/keys", json=fresh, headers=me)
    assert r.status_code == 200, r.text
    now = await current_key(client, me)
    assert now["sign_pub"] == fresh["sign_pub"] and now["key_id"] != key["key_id"]


async def test_another_partys_key_cannot_be_revoked(client: Client, rt: Runtime) -> None:
    victim = await current_key(client, await bearer(client, "bidder-1"))
    for attacker in ("bidder-2", "custodian-450100-1", "staff-450100"):
        r = await client.post(
            f"/api/v1/me/keys/{victim['key_id']}/revoke", headers=await bearer(client, attacker)
        )
        assert r.status_code == 404, (attacker, r.text)  # never says whose key it is
    anonymous = await client.post(f"/api/v1/me/keys/{victim['key_id']}/revoke")
    assert anonymous.status_code == 401
    assert await revocations(rt) == []
    async with rt.sessionmaker() as session:
        key = await session.get(PartyKey, victim["key_id"])
        assert key is not None and key.revoked_at is None


async def test_racing_revocations_revoke_once(rt: Runtime, live_server: str) -> None:
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        me = await bearer(http, "bidder-2")
        key = (await http.get("/api/v1/me/keys", headers=me)).json()
        answers = await asyncio.gather(
            *(http.post(f"/api/v1/me/keys/{key['key_id']}/revoke", headers=me) for _ in range(6))
        )
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409, 409, 409]
    assert len(await revocations(rt)) == 1


async def test_racing_registrations_leave_one_current_key(rt: Runtime, live_server: str) -> None:
    """Real concurrent requests on the real server: each registration revokes the keys it
    finds; without the per-user lock two of them could each leave their own key current."""
    bodies = [generate_identity().public().to_dict() for _ in range(8)]
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        me = await bearer(http, "bidder-3")
        answers = await asyncio.gather(
            *(http.put("/api/v1/me/keys", json=b, headers=me) for b in bodies)
        )
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    user = await demo_user(rt, "bidder-3")
    async with rt.sessionmaker() as session:
        live = list(
            await session.scalars(
                select(PartyKey).where(PartyKey.user_id == user.id, PartyKey.revoked_at.is_(None))
            )
        )
    assert len(live) == 1


async def test_a_bid_signed_with_the_revoked_key_is_refused(
    client: Client, rt: Runtime, publish_lot: Any, bid: Any
) -> None:
    """The point of revoking a lost key: whoever finds it can no longer bid in our name."""
    lot = await publish_lot()
    me = await bearer(client, "bidder-1")
    key = await current_key(client, me)
    assert (
        await client.post(f"/api/v1/me/keys/{key['key_id']}/revoke", headers=me)
    ).status_code == 200
    with pytest.raises(DomainError):
        await bid(lot, {"bidder-1": "9100000.00"})  # signed with the demo's (revoked) key file


HTML = {"Accept": "text/html"}


async def test_the_revoke_form_needs_its_csrf_token_and_the_confirmation(
    client: Client, rt: Runtime
) -> None:
    await web_login(client, "custodian-450100-1")
    page = await client.get("/keys", headers=HTML)
    assert page.status_code == 200 and 'action="/keys/revoke"' in page.text
    csrf = csrf_of(page.text)

    forged = await client.post("/keys/revoke", data={"_csrf": "forged", "confirm": "yes"})
    assert forged.status_code == 403
    unconfirmed = await client.post("/keys/revoke", data={"_csrf": csrf}, headers=HTML)
    assert unconfirmed.status_code == 422 and "勾选确认" in unconfirmed.text
    assert await revocations(rt) == []

    done = await client.post("/keys/revoke", data={"_csrf": csrf, "confirm": "yes"}, headers=HTML)
    assert done.status_code == 200 and "/keys?done=revoked" in str(done.url)
    assert "密钥已吊销" in done.text
    assert len(await revocations(rt)) == 1
    nothing_left = await client.post(
        "/keys/revoke", data={"_csrf": csrf, "confirm": "yes"}, headers=HTML
    )
    assert nothing_left.status_code == 409 and "当前没有登记的密钥" in nothing_left.text
    assert len(await revocations(rt)) == 1

    client.cookies.clear()
    await web_login(client, "staff-450100")  # holds no keys: no keys page
    assert (await client.get("/keys", headers=HTML)).status_code == 403
