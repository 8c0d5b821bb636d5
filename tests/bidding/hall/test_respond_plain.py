"""Confirm or object without script: the hall renders plain forms for the lot's bidders, posted to
the same entry point as the API, with the same rules (条例 44), CSRF and refusals re-rendered."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.bidding.hall.conftest import csrf_of, web_login
from tests.bidding.hall.test_hall_objections import _actions, _responses
from tests.support.clients import Client
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}


def plain(html: str) -> str:
    """The no-script card (inside <noscript>), or "" when the page has none."""
    found = re.search(r"<noscript>(.*?)</noscript>", html, re.S)
    return found.group(1) if found and 'id="respond-plain"' in found.group(1) else ""


async def hall(client: Client, lot_id: int) -> str:
    r = await client.get(f"/lots/{lot_id}/hall", headers=HTML)
    assert r.status_code == 200, r.text
    return r.text


async def test_a_bidder_confirms_and_another_objects_with_plain_forms(
    rt: Runtime, clock: FixedClock, opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot()
    url = f"/lots/{lot.id}/hall/respond"

    await web_login(client, "bidder-1")
    card = plain(await hall(client, lot.id))
    assert 'id="confirm-form"' in card and 'id="object-form"' in card
    token = csrf_of(card)
    # Without the session's CSRF token: refused, nothing kept.
    r = await client.post(url, data={"kind": "confirm"}, headers=HTML)
    assert r.status_code == 403
    assert await _responses(rt, lot.id) == []
    r = await client.post(
        url, data={"_csrf": token, "kind": "confirm"}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/lots/{lot.id}/hall")
    card = plain(await hall(client, lot.id))
    assert 'data-kind="confirm"' in card
    assert 'id="confirm-form"' not in card and 'id="object-form"' not in card
    # Confirmed, then an objection: refused with the rule, re-rendered with the reason.
    text = "唱标金额与投标文件不一致"
    r = await client.post(url, data={"_csrf": token, "kind": "objection", "text": text},
                          headers=HTML)  # fmt: skip
    assert r.status_code == 409
    assert "确认后不能再提出异议" in plain(r.text)
    client.cookies.clear()

    await web_login(client, "bidder-2")
    token = csrf_of(plain(await hall(client, lot.id)))
    short = await client.post(url, data={"_csrf": token, "kind": "objection", "text": "异"},
                              headers=HTML)  # fmt: skip
    assert short.status_code == 422 and 'id="respond-plain-error"' in short.text
    assert ">异</textarea>" in plain(short.text)  # what was typed is kept
    r = await client.post(url, data={"_csrf": token, "kind": "objection", "text": text},
                          headers=HTML, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    card = plain(await hall(client, lot.id))
    assert 'data-kind="objection"' in card and text in card and "待交易中心答复" in card
    # Unanswered: neither a second objection nor a confirmation is offered or accepted.
    assert 'id="confirm-form"' not in card and 'id="object-form"' not in card
    r = await client.post(url, data={"_csrf": token, "kind": "confirm"}, headers=HTML)
    assert r.status_code == 409 and "答复后方可确认" in r.text
    client.cookies.clear()

    assert await _responses(rt, lot.id) == [("confirm", None), ("objection", None)]
    responded = [
        a for a in await _actions(rt, lot.id) if a in ("opening.confirmed", "opening.objection")
    ]
    assert responded == ["opening.confirmed", "opening.objection"]  # audited, once each

    # After the window: no form, and a post is refused.
    clock.advance(timedelta(hours=1))
    await web_login(client, "bidder-3")
    card = plain(await hall(client, lot.id))
    assert card and 'id="confirm-form"' not in card and "期限已截止" in card
    r = await client.post(url, data={"_csrf": csrf_of(await hall(client, lot.id)),
                                     "kind": "confirm"}, headers=HTML)  # fmt: skip
    assert r.status_code == 409
    assert await _responses(rt, lot.id) == [("confirm", None), ("objection", None)]


async def test_no_plain_forms_for_who_did_not_bid(opened_lot: Any, client: Client) -> None:
    lot = await opened_lot()
    assert plain(await hall(client, lot.id)) == ""  # the public
    for who in ("bidder-4", "staff-450100"):
        await web_login(client, who)
        assert plain(await hall(client, lot.id)) == "", who
        client.cookies.clear()
