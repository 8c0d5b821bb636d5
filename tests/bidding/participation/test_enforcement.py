"""Registration (报名) and bid security enforced at submission, with the rule's citation; the
bidder lot page's plain forms (register, security, question); registration racing its close."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bidding.client.sealing import seal_bid
from bidding.participation import service as participation
from bidding.participation.models import BidSecurity, Question, Registration
from bidding.submission.admission import Admission, admit_in, bidder_facts
from bidding.submission.models import Bid
from bidding.submission.service import _check_envelope
from bidhall.demo.accounts import demo_identity, demo_user
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.auth.service import actor_for
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict, RuleViolation
from trading.kernel.runtime import Runtime
from trading.kernel.write_txn import write_in
from trading.parties.models import Organization
from trading.projects.models import Lot
from trading.projects.service import lot_facts

HTML = {"Accept": "text/html"}
REGISTRATION_CITATION = "电子招标投标办法 第24条"
SECURITY_CITATION = "招标投标法实施条例 第26条"


async def sealed_for(rt: Runtime, lot: Lot, username: str, tmp: Path) -> tuple[bytes, str]:
    user = await demo_user(rt, username)
    async with rt.sessionmaker() as session:
        org = await session.get(Organization, user.org_id)
        assert org is not None and lot.opening_pub is not None
    from crypto.encoding import b64u_decode
    from crypto.labels import envelope_lot_id

    sealed = seal_bid(
        demo_identity(rt, username),
        lot_id=envelope_lot_id(lot.id),
        bidder_id=org.uscc,
        version=1,
        opening_pub=b64u_decode(lot.opening_pub, length=32),
        price_form={"price": "9100000.00", "duration_days": 180, "quality": "合格"},
        out=tmp / f"{username}.sealed",
    )
    return sealed.path.read_bytes(), sealed.signature


async def upload(client: Client, lot_id: int, body: bytes, signature: str, who: str) -> Any:
    headers = {
        **await bearer(client, who),
        "content-type": "application/octet-stream",
        "x-bid-signature": signature,
    }
    return await client.post(f"/api/v1/lots/{lot_id}/bids", content=body, headers=headers)


async def count(rt: Runtime, model: Any) -> int:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def blob_files(rt: Runtime) -> list[Path]:
    return sorted(p for p in rt.settings.blob_dir.rglob("*") if p.is_file())


async def test_unregistered_then_no_security_refused_with_citation_then_accepted(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    assert lot.bid_security > 0  # 1% of the control price
    with tempfile.TemporaryDirectory() as tmp:
        body, signature = await sealed_for(rt, lot, "bidder-1", Path(tmp))
    before = blob_files(rt)

    # Not registered: refused, citing the registration rule; nothing stored.
    r = await upload(client, lot.id, body, signature, "bidder-1")
    assert r.status_code == 422, r.text
    problem = r.json()
    assert REGISTRATION_CITATION in problem["detail"]
    assert await count(rt, Bid) == 0 and blob_files(rt) == before

    # Registered, but the security the documents require is not lodged: refused (条例 26).
    bidder = await bearer(client, "bidder-1")
    assert (await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)).is_success
    r = await upload(client, lot.id, body, signature, "bidder-1")
    assert r.status_code == 422 and SECURITY_CITATION in r.json()["detail"], r.text
    assert await count(rt, Bid) == 0 and blob_files(rt) == before
    standing = (await client.get(f"/api/v1/lots/{lot.id}/participation", headers=bidder)).json()
    assert standing["registration_required"] and standing["registered_at"]
    assert standing["may_bid"] is False and SECURITY_CITATION in standing["refusal"]

    # With the security lodged the same envelope is admitted.
    lodged = await client.put(
        f"/api/v1/lots/{lot.id}/security",
        json={"amount": str(lot.bid_security), "form": "guarantee", "reference": "BG-001"},
        headers=bidder,
    )
    assert lodged.status_code == 200, lodged.text
    r = await upload(client, lot.id, body, signature, "bidder-1")
    assert r.status_code == 201, r.text
    standing = (await client.get(f"/api/v1/lots/{lot.id}/participation", headers=bidder)).json()
    assert standing["may_bid"] is True and standing["refusal"] is None

    # The refusals are on the audit log (电子办法 49).
    async with rt.sessionmaker() as session:
        refused = await session.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.action == "request.refused")
        )
    assert refused == 2


async def test_another_bidders_registration_does_not_count(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=("bidder-2",))
    with tempfile.TemporaryDirectory() as tmp:
        body, signature = await sealed_for(rt, lot, "bidder-1", Path(tmp))
    r = await upload(client, lot.id, body, signature, "bidder-1")
    assert r.status_code == 422 and REGISTRATION_CITATION in r.json()["detail"]
    assert await count(rt, Bid) == 0


async def test_lot_page_forms_register_lodge_security_and_ask(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    path = f"/bidder/lots/{lot.id}"
    await web_login(client, "bidder-1")
    page = await client.get(path, headers=HTML)
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    # The page says why a bid would be refused, with the citation, and offers 报名.
    assert 'id="bid-refusal"' in page.text and REGISTRATION_CITATION in page.text
    assert 'id="register-form"' in page.text
    assert "bidder.coming" not in page.text and "part.title" not in page.text  # translated
    english = await client.get(f"{path}?lang=en", headers=HTML)
    assert "Registration and bid security" in english.text and "Register" in english.text
    client.cookies.delete("lang")

    # Without the CSRF token nothing is written.
    r = await client.post(f"{path}/registration", data={}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403
    assert await count(rt, Registration) == 0

    r = await client.post(
        f"{path}/registration", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and "done=registered" in r.headers["location"]
    page = await client.get(path, headers=HTML)
    assert 'id="security-form"' in page.text and SECURITY_CITATION in page.text

    # A bad amount re-renders with the message by the field; nothing written.
    audit_before = await count(rt, AuditEntry)
    for bad in ("12.345", "abc", "-1", "99999999999999"):
        r = await client.post(
            f"{path}/security",
            data={"_csrf": csrf, "amount": bad, "form": "guarantee", "reference": "BG-7"},
            headers=HTML,
        )
        assert r.status_code == 422, (bad, r.status_code)
        assert 'id="amount-error"' in r.text and 'value="BG-7"' in r.text
    # Below the required amount: refused by the service, next to the field too.
    r = await client.post(
        f"{path}/security",
        data={"_csrf": csrf, "amount": "1.00", "form": "guarantee", "reference": "BG-7"},
        headers=HTML,
    )
    assert r.status_code == 422 and 'id="amount-error"' in r.text
    assert await count(rt, BidSecurity) == 0
    assert await count(rt, AuditEntry) == audit_before

    r = await client.post(
        f"{path}/security",
        data={
            "_csrf": csrf,
            "amount": str(lot.bid_security),
            "form": "guarantee",
            "reference": "BG-7",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=security" in r.headers["location"]
    page = await client.get(path, headers=HTML)
    assert 'id="may-bid"' in page.text and 'id="bid-refusal"' not in page.text
    assert 'data-may-bid="true"' in page.text

    # Questions: too short re-renders; a good one is listed as ours, awaiting an answer.
    r = await client.post(f"{path}/questions", data={"_csrf": csrf, "text": "?"}, headers=HTML)
    assert r.status_code == 422 and 'id="question-error"' in r.text
    assert await count(rt, Question) == 0
    r = await client.post(
        f"{path}/questions",
        data={"_csrf": csrf, "text": "工期是否包含冬季停工期？"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"], headers=HTML)
    assert "工期是否包含冬季停工期？" in page.text and 'data-answered="false"' in page.text


async def test_page_forms_refuse_other_roles_and_anonymous(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    await web_login(client, "staff-450100")
    r = await client.post(
        f"/bidder/lots/{lot.id}/registration", data={}, headers=HTML, follow_redirects=False
    )
    assert r.status_code in (302, 303, 403)
    client.cookies.clear()
    r = await client.post(
        f"/bidder/lots/{lot.id}/registration", data={}, headers=HTML, follow_redirects=False
    )
    assert r.status_code in (302, 303, 401)
    assert await count(rt, Registration) == 0


class TickingClock(FixedClock):
    """Every reading is `step` later than the one before: time passes while requests wait."""

    def __init__(self, at: datetime, step: timedelta) -> None:
        super().__init__(at)
        self.step = step

    def now(self) -> datetime:
        at = super().now()
        self.advance(self.step)
        return at


async def test_registration_races_its_close(rt: Runtime, publish_lot: Any) -> None:
    """Registrations straddle the close (the bid deadline here): the check inside the write
    decides on the clock read there, and one company registering twice at once makes one row."""
    lot = await publish_lot(enrol=())
    closes = participation.registration_closes(lot)
    # The 16 early checks read the clock first (1 ms apart, all before the close); the writes
    # then read it in turn from 2 ms before the close: some are in time, the rest too late.
    ticking = TickingClock(closes - timedelta(milliseconds=18), timedelta(milliseconds=1))
    names = ["bidder-1", "bidder-2", "bidder-3", "bidder-4"]
    actors = [actor_for(await demo_user(rt, name)) for name in names]

    async def attempt(i: int) -> Registration | Conflict:
        async with rt.sessionmaker() as session:
            try:
                return await participation.register(
                    session, lot.id, actors[i % 4], now=ticking.now(), clock=ticking
                )
            except Conflict as exc:
                return exc

    outcomes = await asyncio.gather(*(attempt(i) for i in range(16)))
    accepted = [o for o in outcomes if isinstance(o, Registration)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert accepted and refused, "the race must straddle the close"
    async with rt.sessionmaker() as session:
        rows = list(
            await session.scalars(select(Registration).where(Registration.lot_id == lot.id))
        )
    assert all(row.registered_at < closes for row in rows)
    assert len({row.bidder_org_id for row in rows}) == len(rows)  # one row per company
    assert {r.bidder_org_id for r in accepted} == {row.bidder_org_id for row in rows}


async def test_one_company_registering_twice_at_once_makes_one_row(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    bidder = actor_for(await demo_user(rt, "bidder-1"))

    async def attempt() -> Registration:
        async with rt.sessionmaker() as session:
            return await participation.register(
                session, lot.id, bidder, now=clock.now(), clock=clock
            )

    first, second = await asyncio.gather(attempt(), attempt())
    assert first.id == second.id
    assert await count(rt, Registration) == 1


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_the_write_decides_the_terms_again(
    rt: Runtime, publish_lot: Any, tmp_path: Path
) -> None:
    """Facts read before the write that say "registered, security lodged" do not admit a bid
    the database says otherwise about: the first bid's INSERT … SELECT and the long way
    (a bidder with bids) both ask again inside the write transaction."""
    lot = await publish_lot(enrol=())
    actor = actor_for(await demo_user(rt, "bidder-1"))
    body, signature = await sealed_for(rt, lot, "bidder-1", tmp_path)
    staged = await rt.blobs.stage(_one_chunk(body), max_size=1 << 24)
    async with rt.sessionmaker() as session:
        facts = await bidder_facts(session, actor, lot.id, rt.settings)
        assert not facts.registered and facts.terms.any
        lot_row = await lot_facts(session, lot.id)
        assert lot_row is not None
        stale = replace(facts, registered=True, security=lot.bid_security)
        header = _check_envelope(staged, lot_row, stale, signature)
        for seen in (stale, replace(stale, has_bids=True)):
            admission = Admission(lot_row, seen, actor, header, staged, signature, rt.context())
            with pytest.raises(RuleViolation) as refused:
                await write_in(session, admit_in, admission)
            assert REGISTRATION_CITATION in refused.value.message
    rt.blobs.discard(staged)
    assert await count(rt, Bid) == 0
