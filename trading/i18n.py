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
    # ---- centers and statistics (issue 5) ----
    "nav.centers": ("交易中心", "Centers"),
    "nav.stats": ("交易统计", "Statistics"),
    "centers.title": ("交易中心（三级联网）", "Trading centers (three-level network)"),
    "centers.intro": (
        "自治区、市、县三级交易中心共用一个平台；投标人及其密钥、专家库跨中心共享。",
        "Region, city and county centers share one platform; bidders, their keys and "
        "the expert pool are shared by all centers.",
    ),
    "level.province": ("省级", "Province level"),
    "level.city": ("市级", "City level"),
    "level.county": ("县级", "County level"),
    "col.level": ("层级", "Level"),
    "col.division": ("行政区划代码", "Division code"),
    "col.lots": ("已公告标段", "Published lots"),
    "col.lots_subtree": ("含下级", "With centers below"),
    "col.awarded": ("已中标", "Awarded"),
    "col.awarded_subtree": ("已中标（含下级）", "Awarded (with centers below)"),
    "center.up": ("上级中心", "Parent center"),
    "center.children": ("下级交易中心", "Centers below"),
    "center.timezone": ("本中心时区", "This center's time zone"),
    "center.today": ("今日开标", "Openings today"),
    "center.announcements": ("最新公告", "Latest announcements"),
    "center.lots": ("本中心标段", "This center's lots"),
    "center.stats_self": ("本中心统计", "This center alone"),
    "center.stats_subtree": ("含下级汇总统计", "Rolled up with the centers below"),
    "center.rules": ("本中心规则调整", "This center's rule overrides"),
    "center.none": ("暂无", "None"),
    "center.all_stats": ("全部统计", "Full statistics"),
    "stats.title": ("交易统计", "Statistics"),
    "stats.scope": ("统计范围", "Scope"),
    "scope.self": ("仅本中心", "This center only"),
    "scope.subtree": ("含下级中心", "With centers below"),
    "stats.from": ("中标日期自", "Awarded from"),
    "stats.to": ("至", "Awarded to"),
    "stats.csv": ("导出 CSV", "Export CSV"),
    "stats.count": ("中标标段数", "Awarded lots"),
    "stats.reference": ("预算/最高限价合计(元)", "Σ budget / cap (yuan)"),
    "stats.award": ("中标金额合计(元)", "Σ award (yuan)"),
    "stats.savings": ("节约资金(元)", "Savings (yuan)"),
    "stats.rate": ("节约率", "Savings rate"),
    "stats.total": ("合计", "Total"),
    "stats.by_category": ("按项目类别", "By category"),
    "stats.by_center": ("按交易中心（各自统计）", "By center (each alone)"),
    "stats.apart": ("另行统计（不计入节约率）", "Reported apart (not in the rates)"),
    "stats.failed": ("流标", "Failed"),
    "stats.cancelled": ("终止", "Cancelled"),
    "stats.sandbox": ("演练项目", "Sandbox"),
    "stats.lots": ("标段数", "Lots"),
    "stats.chart": ("中标金额（按交易中心）", "Award totals by center"),
    "stats.note": (
        "节约率 = Σ节约资金 ÷ Σ预算（或最高投标限价）× 100%，由汇总金额重新计算，"
        "不取各中心节约率的平均值；流标、终止及演练项目不计入。",
        "Savings rate = Σ savings ÷ Σ budget (or maximum price) × 100 %, recomputed from "
        "the rolled-up totals, never a mean of centers' rates; failed, cancelled and "
        "sandbox lots are left out.",
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
