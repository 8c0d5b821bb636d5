"""The portal's strings (Simplified Chinese, English)."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    # channels (announcement kinds)
    "portal.channel.all": ("全部公告", "All announcements"),
    "portal.channel.tender": ("招标公告", "Tender notices"),
    "portal.channel.amendment": ("变更公告", "Amendments"),
    "portal.channel.candidates": ("中标候选人公示", "Candidates publicity"),
    "portal.channel.result": ("中标结果公告", "Award results"),
    "portal.channel.failure": ("流标公告", "Failure notices"),
    "portal.channel.termination": ("终止公告", "Termination notices"),
    "portal.channels": ("公告栏目", "Channels"),
    "portal.more": ("更多", "More"),
    "portal.feed": ("订阅 (Atom)", "Subscribe (Atom)"),
    "portal.none": ("暂无公告", "No announcements"),
    "portal.announcements.title": ("交易信息", "Announcements"),
    "portal.lots.title": ("交易项目", "Tendered lots"),
    "portal.col.published": ("发布时间", "Published"),
    "portal.col.title": ("标题", "Title"),
    "portal.col.kind": ("公告类型", "Kind"),
    "portal.col.winner_price": ("中标价(元)", "Award price (yuan)"),
    # filters
    "portal.filter.region": ("地区", "Region"),
    "portal.filter.from": ("起始日期", "From"),
    "portal.filter.to": ("截止日期", "To"),
    "portal.filter.winner": ("中标人", "Winning bidder"),
    "portal.filter.winner_hint": ("仅中标结果", "award results only"),
    "portal.filter.size": ("每页", "Per page"),
    "portal.filter.date_invalid": (
        "日期格式应为 年-月-日（如 2026-03-02）",
        "Dates are year-month-day (e.g. 2026-03-02)",
    ),
    "portal.filter.range_invalid": (
        "起始日期不能晚于截止日期",
        "The start date must not be after the end date",
    ),
    # paging
    "portal.pager.total": ("共 {total} 条", "{total} in all"),
    "portal.pager.shown": ("第 {first}–{last} 条", "{first}–{last}"),
    "portal.pager.page": ("第 {page}/{pages} 页", "page {page} of {pages}"),
    "portal.pager.prev": ("上一页", "Previous"),
    "portal.pager.next": ("下一页", "Next"),
    "portal.pager.first": ("首页", "First"),
    "portal.pager.last": ("末页", "Last"),
    # the lot page
    "portal.lot.parties": ("项目概况", "Project"),
    "portal.lot.tenderer": ("招标人", "Tenderer"),
    "portal.lot.agency": ("招标代理机构", "Tender agency"),
    "portal.lot.contact": ("联系人", "Contact"),
    "portal.lot.phone": ("联系电话", "Phone"),
    "portal.lot.method": ("交易方式", "Method"),
    "portal.lot.location": ("项目地点", "Location"),
    "portal.lot.qualification": ("投标人资格要求", "Bidder qualification"),
    "portal.lot.description": ("项目说明", "Description"),
    "portal.lot.failure_reason": ("流标/终止原因", "Reason for failure / termination"),
    "portal.lot.documents": ("招标文件", "Tender documents"),
    "portal.lot.documents_none": ("暂无招标文件", "No tender documents"),
    "portal.lot.documents_note": (
        "报名本标段的投标人登录后可下载；SHA-256 摘要可用于核对所下载文件。",
        "Registered bidders download after signing in; the SHA-256 digest checks the file.",
    ),
    "portal.lot.doc_name": ("文件名", "File"),
    "portal.lot.doc_size": ("大小", "Size"),
    "portal.lot.download": ("下载", "Download"),
    "portal.lot.qa": ("答疑澄清", "Questions and answers"),
    "portal.lot.qa_none": ("暂无已答复的问题", "No answered questions"),
    "portal.lot.question": ("问", "Q"),
    "portal.lot.answer": ("答", "A"),
    "portal.lot.timeline": ("全过程记录", "Full timeline"),
    "portal.lot.announcement_event": ("发布公告", "Announcement published"),
    "portal.none_value": ("—", "—"),
    # methods
    "portal.method.open_tender": ("公开招标", "Open tender"),
    "portal.method.invited_tender": ("邀请招标", "Invited tender"),
    "portal.method.competitive_negotiation": ("竞争性谈判", "Competitive negotiation"),
    "portal.method.inquiry": ("询价", "Request for quotations"),
    "portal.method.competitive_consultation": ("竞争性磋商", "Competitive consultation"),
    "portal.method.single_source": ("单一来源", "Single source"),
    "portal.method.listing": ("挂牌", "Listing"),
    "portal.method.auction": ("拍卖", "Auction"),
    # the Atom feed
    "portal.feed.title": ("{channel} · {site}", "{channel} · {site}"),
}

register(MESSAGES)
