"""Strings of the lot desk's documents and questions tabs."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "desk.readonly": (
        "监督人员只读：可查看，不能操作",
        "Supervisors read only: you can see, not act",
    ),
    "desk.back": ("返回标段概况", "Back to the lot's overview"),
    "desk.public_page": ("公开页面", "Public page"),
    "desk.deadline": ("投标截止/开标", "Bid deadline / opening"),
    "desk.zone_note": ("时间均为本中心时区", "Times in this center's zone"),
    "desk.documents.title": ("招标文件", "Tender documents"),
    "desk.documents.name": ("文件名", "Name"),
    "desk.documents.size": ("大小（字节）", "Size (bytes)"),
    "desk.documents.sha256": ("SHA-256 摘要", "SHA-256 digest"),
    "desk.documents.added": ("上传时间", "Added"),
    "desk.documents.none": ("尚未上传招标文件", "No tender documents yet"),
    "desk.documents.upload": ("上传招标文件", "Upload a tender document"),
    "desk.documents.file": ("文件", "File"),
    "desk.documents.submit": ("上传", "Upload"),
    "desk.documents.frozen": (
        "投标截止后招标文件不能再修改",
        "Documents are frozen after the bid deadline",
    ),
    "desk.documents.download": ("下载", "Download"),
    "desk.done.uploaded": ("文件已上传，摘要已记录", "Document uploaded; its digest is recorded"),
    "desk.done.amended": ("澄清/修改已发布", "Amendment published"),
    "desk.done.moved": (
        "澄清/修改已发布，投标截止/开标时间已顺延",
        "Amendment published; the bid deadline and opening moved",
    ),
    "desk.done.answered": (
        "答复已发布，已通知全部报名投标人",
        "Answer published; every registered bidder is notified",
    ),
    "desk.amend.title": ("变更/澄清", "Amendments and clarifications"),
    "desk.amend.new": ("发布变更/澄清公告", "Publish an amendment or clarification"),
    "desk.amend.heading": ("标题", "Title"),
    "desk.amend.body": ("内容", "Text"),
    "desk.amend.affects": (
        "影响投标文件编制（适用澄清期限规则）",
        "Affects the preparation of bids (the clarification period applies)",
    ),
    "desk.amend.new_deadline": (
        "新的投标截止/开标时间（可选）",
        "New bid deadline / opening (optional)",
    ),
    "desk.amend.attachment": (
        "附件（可选，作为招标文件保存并记录摘要）",
        "Attachment (optional; kept as a tender document with its digest)",
    ),
    "desk.amend.submit": ("发布", "Publish"),
    "desk.amend.none": ("暂无变更/澄清", "No amendments yet"),
    "desk.amend.published": ("发布时间", "Published"),
    "desk.amend.closed": ("投标截止后不能发布变更/澄清", "No amendments after the bid deadline"),
    "desk.amend.rule": ("适用规则", "Rule"),
    "desk.amend.must_move": (
        "现在发布影响投标的变更/澄清，投标截止时间须顺延至不早于",
        "An amendment affecting bids issued now moves the bid deadline to no earlier than",
    ),
    "desk.amend.auto": (
        "未填写或早于此时间时，系统按规则自动顺延。",
        "Left empty or earlier, the platform moves it there by the rule.",
    ),
    "desk.amend.in_time": (
        "距投标截止时间充足，本次变更/澄清无需顺延截止时间。",
        "There is enough time before the deadline: this amendment need not move it.",
    ),
    "desk.amend.no_earlier": (
        "新的截止时间只能推后，不能提前。",
        "A new deadline may only be later, never earlier.",
    ),
    "desk.questions.title": ("投标人提问", "Bidders' questions"),
    "desk.questions.anon": (
        "提问人不公开；答复向全部报名投标人公布。",
        "Askers are not named; answers go to every registered bidder.",
    ),
    "desk.questions.unanswered": ("待答复", "Unanswered"),
    "desk.questions.asked": ("提问时间", "Asked"),
    "desk.questions.answered": ("答复时间", "Answered"),
    "desk.questions.answer": ("答复", "Answer"),
    "desk.questions.submit": ("发布答复", "Publish the answer"),
    "desk.questions.none": ("暂无提问", "No questions yet"),
    "desk.questions.closed": ("投标截止后不能再答复", "No answers after the bid deadline"),
}

register(MESSAGES)
