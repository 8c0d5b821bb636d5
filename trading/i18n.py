"""UI strings: Simplified Chinese by default, English on request (?lang=en or the lang cookie)."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    "site.title": ("公共资源交易电子招投标平台", "Public Resource Trading e-Bidding Platform"),
    "nav.home": ("交易公告", "Tenders"),
    "nav.login": ("登录", "Sign in"),
    "nav.logout": ("退出", "Sign out"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.lang": ("English", "中文"),
    "filter.center": ("交易中心", "Center"),
    "filter.category": ("项目类别", "Category"),
    "filter.state": ("状态", "State"),
    "filter.q": ("关键字", "Keyword"),
    "filter.all": ("全部", "All"),
    "filter.submit": ("查询", "Search"),
    "col.code": ("项目编号", "Project code"),
    "col.project": ("项目名称", "Project"),
    "col.lot": ("标段(包)", "Lot"),
    "col.center": ("交易中心", "Center"),
    "col.budget": ("预算/最高限价(元)", "Budget / cap (yuan)"),
    "col.deadline": ("投标截止/开标时间", "Bid deadline / opening"),
    "col.state": ("状态", "State"),
    "col.bidder": ("投标人", "Bidder"),
    "col.price": ("投标报价(元)", "Bid price (yuan)"),
    "col.outcome": ("解密结果", "Decryption"),
    "col.digest": ("密文摘要 SHA-256", "Ciphertext SHA-256"),
    "col.rank": ("排名", "Rank"),
    "col.time": ("时间", "Time"),
    "col.event": ("事件", "Event"),
    "lots.none": ("暂无符合条件的标段", "No lots match"),
    "lot.sandbox": ("演练", "Sandbox"),
    "lot.timeline": ("时间节点", "Key dates"),
    "lot.history": ("过程记录", "History"),
    "lot.announcements": ("公告", "Announcements"),
    "lot.opening_record": ("开标记录", "Opening record"),
    "lot.award": ("中标结果", "Award"),
    "lot.savings": ("节约资金", "Savings"),
    "lot.savings_rate": ("节约率", "Savings rate"),
    "lot.award_price": ("中标价", "Award price"),
    "lot.opening_key": ("开标公钥", "Opening public key"),
    "lot.budget": ("预算金额", "Budget"),
    "lot.control_price": ("最高投标限价", "Maximum bid price"),
    "lot.bid_security": ("投标保证金", "Bid security"),
    "date.docs_issued": ("招标文件发出", "Tender documents issued"),
    "date.docs_until": ("招标文件获取截止", "Documents available until"),
    "date.clarification": ("澄清截止", "Clarification deadline"),
    "date.deadline": ("投标截止 / 开标", "Bid deadline / opening"),
    "date.evaluation": ("预计评标", "Expected evaluation"),
    "login.title": ("用户登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "error.title": ("出错了", "Something went wrong"),
    "cat.construction": ("工程建设", "Construction works"),
    "cat.procurement": ("政府采购", "Government procurement"),
    "cat.land": ("土地使用权", "Land use rights"),
    "cat.property": ("国有产权", "State-owned property rights"),
    "cat.other": ("其他", "Other"),
    "state.draft": ("草稿", "Draft"),
    "state.announced": ("招标公告中", "Announced"),
    "state.opening": ("开标中", "Opening"),
    "state.opened": ("已开标", "Opened"),
    "state.evaluated": ("已评标", "Evaluated"),
    "state.publicity": ("候选人公示", "Candidates publicity"),
    "state.awarded": ("已中标", "Awarded"),
    "state.cancelled": ("已终止", "Cancelled"),
    "state.failed": ("流标", "Failed"),
    "ann.tender": ("招标公告", "Tender notice"),
    "ann.amendment": ("变更公告", "Amendment"),
    "ann.failure": ("流标公告", "Failure notice"),
    "ann.candidates": ("中标候选人公示", "Candidates publicity"),
    "ann.result": ("中标结果公告", "Award result"),
    "footer.verify": (
        "所有开标记录与回执均由平台密钥签名，可离线验证。",
        "Every opening record and receipt is signed by the platform key and verifies offline.",
    ),
}


def pick_lang(query: str | None, cookie: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


def translator(lang: str) -> Callable[[str], str]:
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = MESSAGES.get(key)
        return pair[index] if pair else key

    return t
