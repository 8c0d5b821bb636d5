"""The expert workspace through the JSON API and the page forms: the whole flow with five
experts, and secrecy as attacks — another expert, the chair, a bidder, staff, the public and an
expert of no seat on the lot never read an expert's numbers before finalising."""

from __future__ import annotations

import json
from typing import Any

from evaluation.scoring.service import DECLARATION
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.evaluation.scoring.conftest import World, sheet_for
from tests.support.clients import Client, bearer

HTML = {"Accept": "text/html"}


def api(world: World, rest: str = "") -> str:
    return f"/api/v1/expert/lots/{world.lot_id}{rest}"


async def submit_all(client: Client, world: World) -> list[dict[str, str]]:
    heads = [await bearer(client, name) for name in world.usernames]
    for n, head in enumerate(heads):
        statement = (await client.get(api(world), headers=head)).json()["declaration_statement"]
        signed = {"declaration": DECLARATION, "signature": world.sign(n, statement)}
        r = await client.post(api(world, "/declaration"), json=signed, headers=head)
        assert r.status_code == 200, r.text
        q, s = sheet_for(world, n)
        r = await client.post(api(world, "/sheet"), json={"qualification": q, "scores": s,
                              "submit": n < 4}, headers=head)  # fmt: skip
        assert r.status_code == 200, r.text
    return heads


async def test_api_flow_and_secrecy_until_finalised(client: Client, world: World) -> None:
    heads = await submit_all(client, world)
    ids = sorted(world.bids.values(), key=int)
    secret = f"seat1-secret-{ids[0]}"  # seat 1's own comment
    mine = (await client.get(api(world), headers=heads[1])).json()
    assert mine["sheet"]["submitted"] and secret in str(mine["sheet"]) and mine["progress"] == []
    # Other experts and the chair: never another member's numbers or comments.
    for n in (0, 2, 4):
        r = await client.get(api(world), headers=heads[n])
        assert r.status_code == 200 and secret not in r.text
    chair = (await client.get(api(world), headers=heads[0])).json()
    assert [p["submitted"] for p in chair["progress"]] == [True, True, True, True, False]
    assert set(chair["progress"][0]) == {"position", "submitted"}
    # A bidder, staff, the public, an expert of another committee: refused.
    for who, codes in (("bidder-1", {403}), ("staff-450100", {403}), ("supervisor-450100", {403})):
        r = await client.get(api(world), headers=await bearer(client, who))
        assert r.status_code in codes and secret not in r.text
    client.cookies.clear()
    assert (await client.get(api(world))).status_code == 401
    outsider = await bearer(client, world.outsider.name)  # on the pool, not on this committee
    r = await client.get(api(world), headers=outsider)
    assert r.status_code == 404 and "bidder" not in r.text.lower()
    r = await client.post(api(world, "/declaration"),
                          json={"declaration": DECLARATION, "signature": "A" * 86},
                          headers=outsider)  # fmt: skip
    assert r.status_code == 404

    # Finalise refused until all submitted; then the deviation needs its reason.
    r = await client.post(api(world, "/finalise"), headers=heads[0])
    assert r.status_code == 409
    q, s = sheet_for(world, 4)
    r = await client.post(api(world, "/sheet"), json={"qualification": q, "scores": s,
                          "submit": True}, headers=heads[4])  # fmt: skip
    assert r.status_code == 200
    assert (await client.get(api(world), headers=heads[0])).json()["outstanding_deviations"] == 1
    assert (await client.post(api(world, "/finalise"), headers=heads[0])).status_code == 409
    flag = (await client.get(api(world), headers=heads[4])).json()["my_deviations"]
    assert flag == [{"bid_id": ids[2], "criterion_id": "tech", "score": "20", "mean": "32.80"}]
    reasons = {"reasons": {f"{ids[2]}/tech": "缺少关键工序"}}
    r = await client.post(api(world, "/deviations"), json=reasons, headers=heads[4])
    assert r.status_code == 200
    assert (await client.post(api(world, "/finalise"), headers=heads[1])).status_code == 403
    r = await client.post(api(world, "/finalise"), headers=heads[0])
    assert r.status_code == 200 and r.json()["finalised"] is True
    r = await client.post(api(world, "/sheet"), json={"qualification": q, "scores": s},
                          headers=heads[4])  # fmt: skip
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem")


async def test_pages_declare_score_and_refuse(client: Client, world: World) -> None:
    lot = f"/expert/lots/{world.lot_id}"
    await web_login(client, world.usernames[2])
    home = await client.get("/expert", headers=HTML)
    assert home.status_code == 200 and f'data-lot="{world.lot_id}"' in home.text
    page = (await client.get(lot, headers=HTML)).text
    assert 'id="declare-form"' in page and 'data-bid="' not in page  # nothing before declaring
    csrf = csrf_of(page)
    statement = json.loads(page.split('id="declaration-statement">')[1].split("</script>")[0])
    signed = {"declaration": DECLARATION, "signature": world.sign(2, statement)}
    r = await client.post(f"{lot}/declaration", data=signed, headers=HTML)
    assert r.status_code == 403  # no CSRF token
    unsigned = {"_csrf": csrf, "declaration": DECLARATION}
    r = await client.post(f"{lot}/declaration", data=unsigned, headers=HTML)
    assert r.status_code == 422 and 'id="error"' in r.text and 'data-bid="' not in r.text
    forged = {**unsigned, "signature": world.sign(1, statement)}  # another member's key
    r = await client.post(f"{lot}/declaration", data=forged, headers=HTML)
    assert r.status_code == 422 and "signature" in r.text
    r = await client.post(f"{lot}/declaration", data={**signed, "_csrf": csrf},
                          headers=HTML, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = (await client.get(lot, headers=HTML)).text
    assert page.count('data-bid="') == 4 and "9,100,000.00" in page
    ids = sorted(world.bids.values(), key=int)
    form: dict[str, Any] = {"_csrf": csrf, "action": "save", f"q-{ids[0]}": "fail",
                            f"r-{ids[0]}": "", f"s-{ids[0]}-tech": "50"}  # fmt: skip
    r = await client.post(f"{lot}/sheet", data=form, headers=HTML)
    assert r.status_code == 422 and 'id="error"' in r.text and "0..40" in r.text
    form[f"s-{ids[0]}-tech"] = "33.5"
    form[f"r-{ids[0]}"] = "报价单位无资质"
    r = await client.post(f"{lot}/sheet", data=form, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    page = (await client.get(lot, headers=HTML)).text
    assert 'value="33.5"' in page and "报价单位无资质" in page
    form["action"] = "submit"
    r = await client.post(f"{lot}/sheet", data=form, headers=HTML)
    assert r.status_code == 422 and "not scored" in r.text

    # Another expert of the committee does not see this draft; an outsider gets nothing.
    client.cookies.clear()
    await web_login(client, world.usernames[0])
    r = await client.get(lot, headers=HTML)
    assert r.status_code == 200 and "33.5" not in r.text and "报价单位无资质" not in r.text
    client.cookies.clear()
    await web_login(client, "bidder-1")
    assert (await client.get(lot, headers=HTML)).status_code == 403
