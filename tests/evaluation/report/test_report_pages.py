"""The report's pages and PDF: a member reads and signs through the form (the signature made as
the browser makes it), the desk reads it, everyone else is refused; the PDF shows the Chinese
text and the signatures' key ids and renders to the same bytes every time."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bidding.hall.conftest import csrf_of, web_login
from tests.bidding.hall.test_hall_pdf import pdf_text
from tests.evaluation.scoring.conftest import World
from tests.support.clients import Client
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}


def document_of(page: str) -> tuple[dict[str, object], dict[str, str]]:
    doc = json.loads(page.split('id="report-document">')[1].split("</script>")[0])
    form = page.split('id="sign-form"')[0].rsplit("<form", 1)[1] + page.split('id="sign-form"')[1]
    attrs = {k: form.split(f'data-{k}="')[1].split('"')[0] for k in ("lot", "version", "sha256")}
    return doc, attrs


async def test_a_member_signs_through_the_page_and_the_pdf_shows_it(
    rt: Runtime, finalised: World, client: Client, tmp_path: Path
) -> None:
    world = finalised
    lot = f"/expert/lots/{world.lot_id}/report"
    await web_login(client, world.usernames[1])
    page = (await client.get(lot, headers=HTML)).text
    assert 'id="sign-form"' in page and 'id="keys"' in page and "expert-sign.js" in page
    assert 'id="re-evaluation-form"' not in page  # not the chair
    doc, attrs = document_of(page)
    assert attrs["version"] == "1" and doc["version"] == 1
    statement = {
        "type": "bidhall-evaluation-report-signature", "v": 1, "lot_id": world.lot_id,
        "version": 1, "report_sha256": attrs["sha256"], "position": 2, "dissent": "保留意见",
    }  # fmt: skip
    form = {"version": "1", "dissent": "保留意见", "signature": world.sign(1, statement)}
    assert (await client.post(f"{lot}/sign", data=form, headers=HTML)).status_code == 403
    csrf = csrf_of(page)
    bad = {**form, "_csrf": csrf, "dissent": "另一意见"}  # not what was signed
    r = await client.post(f"{lot}/sign", data=bad, headers=HTML)
    assert r.status_code == 422 and 'id="error"' in r.text and 'id="sign-form"' in r.text
    r = await client.post(f"{lot}/sign", data={**form, "_csrf": csrf}, headers=HTML,
                          follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = (await client.get(lot, headers=HTML)).text
    assert 'id="sign-form"' not in page and 'id="my-signature"' in page and "保留意见" in page

    pdf = await client.get(f"{lot}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    again = await client.get(f"{lot}.pdf")
    assert again.content == pdf.content  # byte-reproducible
    text = pdf_text(pdf.content, tmp_path)
    assert "评标报告" in text and "远程评标测试工程" in text
    assert "方案缺少关键工序" in text and "保留意见" in text and "资质证书过期" in text
    assert "ed25519:" in text and "主任委员" in text
    for c in doc["committee"]:  # type: ignore[attr-defined]
        assert c["name"] in text
    client.cookies.clear()

    # The desk: the lot's center's staff read it (and may open a re-evaluation); a supervisor
    # above reads it without the form; another center's staff are refused.
    await web_login(client, "staff-450100")
    desk = f"/center/lots/{world.lot_id}/evaluation/report"
    r = await client.get(desk, headers=HTML)
    assert r.status_code == 200 and 'id="re-evaluation-form"' in r.text and "保留意见" in r.text
    tab = await client.get(f"/center/lots/{world.lot_id}/evaluation", headers=HTML)
    assert 'id="report-summary"' in tab.text
    assert (await client.get(f"{desk}.pdf")).content == pdf.content
    client.cookies.clear()
    await web_login(client, "supervisor-450100")
    r = await client.get(desk, headers=HTML)
    assert r.status_code == 200 and 'id="re-evaluation-form"' not in r.text
    client.cookies.clear()
    for who in ("staff-450200", "bidder-1"):
        await web_login(client, who)
        assert (await client.get(desk, headers=HTML)).status_code == 403
        assert (await client.get(f"{desk}.pdf")).status_code == 403
        assert (await client.get(lot, headers=HTML)).status_code == 403
        client.cookies.clear()
    await web_login(client, world.outsider.name)  # an expert, not on this committee
    assert (await client.get(lot, headers=HTML)).status_code == 404
    assert (await client.get(f"{lot}.pdf")).status_code == 404
    client.cookies.clear()
    r = await client.get(lot, headers=HTML, follow_redirects=False)
    assert r.status_code in (302, 303, 401)
