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
    "login.throttled": (
        "该账号在本地址登录失败次数过多，请 {seconds} 秒后再试。",
        "Too many failed sign-ins for this account from this address. Try again in {seconds} s.",
    ),
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
    # ---- opening hall, custodians, objections (issue 4) ----
    "nav.custodian": ("开标密钥保管", "Key custody"),
    "hall.title": ("开标大厅", "Opening hall"),
    "hall.enter": ("进入开标大厅", "Enter the opening hall"),
    "hall.opening_at": ("开标时间", "Opening time"),
    "hall.countdown": ("距开标", "Opening in"),
    "hall.due": ("已到开标时间", "Opening time reached"),
    "hall.presence": ("在线", "Online"),
    "hall.bidders_online": ("投标人（家）", "bidders"),
    "hall.viewers": ("观看（人）", "viewers"),
    "hall.bids": ("投标文件", "Sealed bids"),
    "hall.bids_hidden": ("开标时公布数量", "Count shown at the opening"),
    "hall.custody": ("开标密钥分片", "Opening key shares"),
    "hall.custody_of": ("已释放 / 需要", "released / needed"),
    "hall.custodians": ("名保管人", "custodians"),
    "hall.key_recovered": ("开标密钥已恢复", "Opening key recovered"),
    "hall.decrypt": ("解密进度", "Decryption"),
    "hall.record": ("唱标", "Bid reading (唱标)"),
    "hall.record_pending": (
        "全部投标文件解密完成（或确认无法解密）后，同时公布投标人名称及报价。",
        "Names and prices are published together once every bid is decrypted or failed.",
    ),
    "hall.record_links": ("开标记录表", "Opening record"),
    "hall.print": ("可打印页面", "Printable page"),
    "hall.pdf": ("PDF 下载", "PDF"),
    "hall.mine": ("本单位", "You"),
    "hall.online": ("在线", "online"),
    "hall.duration": ("工期(日历天)", "Duration (days)"),
    "hall.quality": ("质量", "Quality"),
    "hall.responses": ("确认与异议", "Confirmations and objections"),
    "hall.window": ("确认/异议截止", "Window closes"),
    "hall.window_closed": ("确认/异议期限已截止", "The window has closed"),
    "hall.confirm": ("确认开标记录", "Confirm the record"),
    "hall.object": ("提出异议", "Raise an objection"),
    "hall.objection_text": ("异议内容（2–2000字）", "Objection (2–2000 characters)"),
    "hall.answer": ("答复", "Answer"),
    "hall.answer_pending": ("待交易中心答复", "Awaiting the center's answer"),
    "hall.kind.confirm": ("确认", "Confirmed"),
    "hall.kind.objection": ("异议", "Objection"),
    "hall.none": ("暂无", "None yet"),
    "hall.log": ("开标过程", "Opening log"),
    "hall.live": ("实时连接", "Live"),
    "hall.reconnecting": ("连接中断，正在重连…", "Connection lost, reconnecting…"),
    "hall.failed": ("本标段流标", "This lot failed"),
    "outcome.decrypted": ("解密成功", "Decrypted"),
    "outcome.revoked": ("撤销（投标人原因）", "Revoked (bidder's fault)"),
    "outcome.failed": ("撤回（非投标人原因）", "Withdrawn (not the bidder's fault)"),
    "ev.state": ("状态变更", "State changed"),
    "ev.share": ("开标人释放密钥分片", "A custodian released a share"),
    "ev.key": ("开标密钥已由分片恢复", "Opening key recovered from the shares"),
    "ev.decrypt": ("投标文件解密", "Bid decrypted"),
    "ev.record": ("开标记录已签名公布", "Opening record signed and published"),
    "ev.response": ("确认/异议", "Confirmation / objection"),
    "custodian.title": ("开标密钥保管", "Opening key custody"),
    "custodian.intro": (
        "您持有下列标段开标密钥的一个分片。开标时间到后，请在您自己的电脑上用密钥文件打开分片并释放；"
        "您的私钥和口令从不上传到平台。",
        "You hold one share of these lots' opening keys. From the opening time on, open your "
        "share with your key file on your own computer and release it; your private key and "
        "passphrase never reach the platform.",
    ),
    "custodian.none": ("您没有保管任何标段的密钥分片", "You hold no key share"),
    "custodian.mine": ("我的分片", "My share"),
    "custodian.released": ("已释放", "Released"),
    "custodian.not_released": ("未释放", "Not released"),
    "custodian.progress": ("门限进度", "Threshold progress"),
    "custodian.time_left": ("距开标", "Time to opening"),
    "custodian.release": ("释放密钥分片", "Release my share"),
    "custodian.how": ("释放方式", "How to release"),
    "custodian.cli": (
        "推荐：在您的电脑上运行以下命令（取回密封分片、用本机密钥文件打开、提交已释放的分片）：",
        "Recommended: run on your own computer (fetches the sealed share, opens it with your "
        "key file there, posts the released share):",
    ),
    "custodian.paste": (
        "或粘贴在离线电脑上打开的分片（JSON：custody_id、index、share）：",
        "Or paste a share opened on an offline computer (JSON: custody_id, index, share):",
    ),
    "custodian.sealed": ("下载我的密封分片", "Download my sealed share"),
    "custodian.too_early": (
        "开标时间未到，平台拒绝接受密钥分片。",
        "The opening time has not come: the platform refuses key shares until then.",
    ),
    # ---- bidder workspace and browser sealing (issue 4 item 5) ----
    "bidder.title": ("投标人工作台", "Bidder workspace"),
    "bidder.intro": (
        "投标文件在您的浏览器内加密，平台只接收密文；开标前任何人（包括平台）都无法读取报价。",
        "Bids are encrypted in your browser and the platform receives ciphertext only; "
        "nobody, the platform included, can read a price before the opening.",
    ),
    "bidder.org": ("投标人", "Bidder"),
    "bidder.uscc": ("统一社会信用代码", "Unified social credit code"),
    "bidder.my_lots": ("我的标段", "My lots"),
    "bidder.my_lots_note": (
        "已投标、已报名或正在接受投标的标段；时间按各交易中心所在时区显示。",
        "Lots you bid on, registered for, or that accept bids; times are in each center's zone.",
    ),
    "bidder.countdown": ("距投标截止", "Time left"),
    "bidder.registration": ("报名", "Registration"),
    "bidder.registered": ("已报名", "Registered"),
    "bidder.not_registered": ("未报名", "Not registered"),
    "bidder.my_bid": ("我的投标", "My bid"),
    "bidder.no_bid": ("未投标", "No bid"),
    "bidder.enter": ("投标", "Bid"),
    "bidder.view": ("查看", "View"),
    "bidder.receipts": ("我的投标回执", "My receipts"),
    "bidder.receipts_note": (
        "回执由平台签名；“验证”在您的浏览器中用平台公钥核对签名，不依赖平台页面的说法。",
        "Receipts are signed by the platform; the check runs in your browser against the "
        "platform's public key.",
    ),
    "bidder.no_receipts": ("暂无投标回执", "No receipts yet"),
    "bidder.version": ("版本", "Version"),
    "bidder.status": ("状态", "Status"),
    "bidder.received_at": ("接收时间", "Received"),
    "bidder.size": ("密文大小", "Sealed size"),
    "bidder.audit_index": ("审计序号", "Audit index"),
    "bidder.verify": ("回执验证", "Receipt check"),
    "bidder.platform_key": ("平台签名公钥", "Platform signing key"),
    "bidder.zone": ("时区", "Time zone"),
    "bidder.keys": ("我的密钥", "My keys"),
    "bidder.keys_intro": (
        "签名密钥（Ed25519）与加密密钥（X25519）在本浏览器内生成，私钥不可导出、不离开本机；"
        "平台只登记公钥并签发证书。清除浏览器数据会丢失私钥，届时请重新生成并登记。",
        "Your signing (Ed25519) and encryption (X25519) keys are generated in this browser; "
        "the private keys cannot be exported and never leave it. The platform registers the "
        "public keys and certifies them. Clearing the browser's data loses the private keys: "
        "then generate and register new ones.",
    ),
    "bidder.keys_generate": ("生成并登记密钥", "Generate and register keys"),
    "bidder.keys_sign_fp": ("签名公钥指纹", "Signing key fingerprint"),
    "bidder.keys_enc_fp": ("加密公钥指纹", "Encryption key fingerprint"),
    "bidder.keys_certificate": ("平台证书", "Platform certificate"),
    "bidder.seal": ("在浏览器中密封并提交", "Seal and submit in this browser"),
    "bidder.seal_intro": (
        "开标一览表与投标文件打包后，在本机用本标段的开标公钥和您自己的加密公钥加密，"
        "并用您的签名密钥签名；大文件分块处理。",
        "The price form and your files are packed, encrypted on this machine to the lot's "
        "opening key and to your own key, and signed with your signing key; large files are "
        "processed chunk by chunk.",
    ),
    "bidder.price": ("投标报价（元）", "Bid price (yuan)"),
    "bidder.price_words": ("大写", "In words"),
    "bidder.duration": ("工期（日历天）", "Duration (calendar days)"),
    "bidder.quality": ("质量承诺", "Quality commitment"),
    "bidder.quality_default": ("合格", "合格"),
    "bidder.files": ("投标文件（可多选）", "Bid files (several allowed)"),
    "bidder.next_version": ("本次提交版本", "Version of this submission"),
    "bidder.replace_note": (
        "截止前可重新提交，以最后一次提交为准。",
        "You may submit again before the deadline; the last submission counts.",
    ),
    "bidder.seal_submit": ("密封并提交", "Seal and submit"),
    "bidder.presealed": ("上传已用客户端密封的文件", "Upload a file sealed with the CLI"),
    "bidder.presealed_intro": (
        "用 bidhall bid seal 生成的密封文件；可同时选择其 .sig 签名文件，"
        "否则由本浏览器的密钥签名。",
        "A file made with `bidhall bid seal`; add its .sig signature file, or this browser's "
        "key signs it.",
    ),
    "bidder.presealed_file": ("密封文件", "Sealed file"),
    "bidder.presealed_sig": ("签名文件（.sig，可选）", "Signature file (.sig, optional)"),
    "bidder.presealed_submit": ("上传", "Upload"),
    "bidder.receipt": ("投标回执", "Receipt"),
    "bidder.history": ("提交记录", "Submissions"),
    "bidder.closed": ("投标已截止，不再接受提交。", "Bidding has closed: no more submissions."),
    "bidder.documents": ("招标文件", "Tender documents"),
    "bidder.no_documents": ("暂无招标文件", "No documents yet"),
    "bidder.questions": ("答疑与澄清", "Questions and clarifications"),
    "bidder.coming": (
        "报名、文件下载与提问功能即将在此开放。",
        "Registration, downloads and questions will open here soon.",
    ),
    "bidder.back": ("返回工作台", "Back to the workspace"),
    "bidder.lot_page": ("标段公告页", "Public lot page"),
    "bidder.js.hash": ("正在计算文件摘要", "Hashing files"),
    "bidder.js.seal": ("正在加密", "Encrypting"),
    "bidder.js.sign": ("正在签名", "Signing"),
    "bidder.js.upload": ("正在上传密文", "Uploading ciphertext"),
    "bidder.js.done": ("提交成功，已收到平台回执", "Submitted: the platform's receipt is below"),
    "bidder.js.failed": ("提交失败", "Submission failed"),
    "bidder.js.verified": ("签名有效", "Verified"),
    "bidder.js.not_verified": ("验证失败", "NOT verified"),
    "bidder.js.checking": ("验证中…", "Checking…"),
    "bidder.js.closed": ("已截止", "Closed"),
    "bidder.js.days": ("天", "d"),
    "bidder.js.key_ok": (
        "本浏览器的密钥已在平台登记，可以密封投标。",
        "This browser's keys are registered: you can seal bids.",
    ),
    "bidder.js.key_none": (
        "尚未登记密钥。请生成并登记后再投标。",
        "No keys registered yet. Generate and register them before bidding.",
    ),
    "bidder.js.key_other": (
        "平台登记的是其他设备或客户端的密钥。在本浏览器密封须生成并登记新密钥，"
        "原密钥将被吊销（已提交的投标不受影响）。",
        "The platform holds keys from another device or the CLI. Sealing here needs new keys; "
        "registering them revokes the old ones (bids already submitted are unaffected).",
    ),
    "bidder.js.key_unregistered": (
        "本浏览器有密钥，但平台当前登记的不是它。",
        "This browser has keys, but the platform currently holds other keys.",
    ),
    "bidder.js.key_register_again": ("登记本浏览器的密钥", "Register this browser's keys"),
    "bidder.js.need_keys": (
        "请先生成并登记密钥。",
        "Generate and register your keys first.",
    ),
    "bidder.js.cert_ok": ("证书签名有效", "certificate verified"),
    "bidder.js.cert_bad": ("证书验证失败", "certificate NOT verified"),
    "bidder.js.working": ("处理中，请勿关闭页面…", "Working: keep this page open…"),
    "bidder.withdraw": ("撤回投标", "Withdraw my bid"),
    "bidder.withdraw_note": (
        "截止前可撤回；撤回后仍可在截止前提交新版本。",
        "Before the deadline you may withdraw, and still submit a new version afterwards.",
    ),
    "bidder.js.confirm_withdraw": (
        "确定撤回本标段的投标吗？",
        "Withdraw your bid for this lot?",
    ),
    "bidder.js.withdrawn": ("投标已撤回", "Bid withdrawn"),
    "bidder.js.status.active": ("有效", "Active"),
    "bidder.js.status.replaced": ("已被新版本替换", "Replaced"),
    "bidder.js.status.withdrawn": ("已撤回", "Withdrawn"),
    "bidder.js.status.decrypted": ("已解密", "Decrypted"),
    "bidder.js.status.revoked": ("已撤销（无法解密）", "Revoked (undecryptable)"),
    "bidder.js.status.failed": ("解密失败（非投标人原因）", "Failed (not the bidder's fault)"),
    "bidder.js.strategy": (
        "密文逐块写入浏览器自己的本地存储（磁盘），签名后整体上传，上传后即删除。",
        "The ciphertext is written chunk by chunk to the browser's own storage (on disk), "
        "uploaded once signed, then deleted.",
    ),
    # Navigation for signed-in roles, and the lot history's event names.
    "nav.transparency": ("透明日志", "Transparency log"),
    "nav.center": ("中心工作台", "Center workspace"),
    "desk.tabs": ("标段办理", "Lot desk"),
    "desk.tab.overview": ("概况", "Overview"),
    "desk.tab.documents": ("招标文件与澄清", "Documents & amendments"),
    "desk.tab.questions": ("答疑", "Questions"),
    "desk.tab.opening": ("开标", "Opening"),
    "desk.tab.evaluation": ("评标与定标", "Evaluation & award"),
    "action.lot.publish": ("发布招标公告", "Tender published"),
    "action.lot.cancel": ("终止", "Cancelled"),
    "action.lot.amend": ("澄清/修改", "Amended"),
    "action.opening.start": ("开标：投标截止，开始解密", "Opening: bids closed, decryption starts"),
    "action.opening.failed": ("流标：投标人不足", "Failed: too few bids"),
    "action.opening.key_recovered": ("开标密钥已恢复", "Opening key recovered"),
    "action.opening.record_published": ("开标记录公布", "Opening record published"),
    "action.evaluation.ranked": ("评标完成", "Evaluation ranked"),
    "action.evaluation.failed": ("流标：有效投标不足", "Failed: too few valid bids"),
    "action.publicity.start": ("中标候选人公示", "Candidates publicity"),
    "action.lot.award": ("定标", "Awarded"),
    # The opening record as a center prints it.
    "record.opening_at": ("开标时间", "Opening time"),
    "record.started_at": ("开始解密", "Decryption started"),
    "record.signed_at": ("记录签署时间", "Record signed"),
    "record.control_capital": ("最高投标限价(大写)", "Maximum bid price in words"),
    "record.bidders": ("投标人数量", "Bidders"),
    "record.digests": ("投标文件密文摘要", "Sealed bid digests"),
    "record.signature": ("平台签名", "Platform signature"),
    # Error pages: one title and one plain sentence per status, and the ways back.
    "error.home": ("返回首页", "Home page"),
    "error.back": ("返回上一页", "Back"),
    "error.sign_in": ("登录", "Sign in"),
    "error.other_account": ("换一个账号登录", "Sign in with another account"),
    "error.400.title": ("请求有误", "Bad request"),
    "error.400.text": ("请求的内容无法处理，请检查后重试。", "The request could not be read."),
    "error.401.title": ("请先登录", "Please sign in"),
    "error.401.text": ("此页面需要登录后访问。", "This page is for signed-in users."),
    "error.403.title": ("无权访问", "Not allowed"),
    "error.403.text": (
        "您的账号无权访问此页面或执行此操作。",
        "Your account may not open this page or do this.",
    ),
    "error.404.title": ("页面不存在", "Page not found"),
    "error.404.text": (
        "您访问的页面不存在、已被移除或尚未公开。请检查网址，或从首页重新查找。",
        "The page does not exist, was removed or is not public yet. "
        "Check the address or start again from the home page.",
    ),
    "error.405.title": ("不支持该操作", "Method not allowed"),
    "error.405.text": ("此地址不支持该操作。", "This address does not accept this request."),
    "error.409.title": ("操作冲突", "Conflict"),
    "error.409.text": (
        "该操作与当前状态冲突，可能已被他人处理。请刷新后重试。",
        "This conflicts with the current state; someone may have done it already. Reload.",
    ),
    "error.413.title": ("内容过大", "Too large"),
    "error.413.text": ("提交的内容超过允许的大小。", "What was sent is larger than allowed."),
    "error.415.title": ("格式不支持", "Unsupported format"),
    "error.415.text": ("提交内容的格式不受支持。", "The format of what was sent is not accepted."),
    "error.422.title": ("填写有误", "Invalid input"),
    "error.422.text": ("提交的内容未通过校验。", "What was sent did not pass the checks."),
    "error.429.title": ("请求过于频繁", "Too many requests"),
    "error.429.text": ("请稍后再试。", "Please try again later."),
    "error.500.title": ("系统错误", "Server error"),
    "error.500.text": (
        "服务器处理请求时出错，已记录。请稍后再试。",
        "The server failed on this request; it is logged. Please try again later.",
    ),
    "error.503.title": ("服务暂不可用", "Service unavailable"),
    "error.503.text": ("服务暂时无法提供，请稍后再试。", "The service is unavailable for now."),
}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """A package's own strings (its ``messages.py``), merged at import; a key is defined once."""
    clash = sorted(messages.keys() & MESSAGES.keys())
    if clash:
        raise ValueError(f"i18n keys defined twice: {', '.join(clash)}")
    MESSAGES.update(messages)


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
