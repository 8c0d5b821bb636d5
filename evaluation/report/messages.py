"""UI strings of the evaluation report (评标报告) pages."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES = {
    "report.title": ("评标报告", "Evaluation report"),
    "report.version": ("版本", "Version"),
    "report.versions": ("历次版本", "Versions"),
    "report.superseded": (
        "此版本已被重新评审后的新版本取代，仅供查阅。",
        "This version was superseded after a re-evaluation; it stays readable.",
    ),
    "report.current": ("现行版本", "current"),
    "report.digest": ("报告摘要（规范 JSON 的 SHA-256）", "Digest (SHA-256 of the canonical JSON)"),
    "report.input_digest": ("评标输入文件摘要", "Evaluation input digest"),
    "report.method": ("评标办法", "Method"),
    "report.finalised_at": ("定稿时间", "Finalised at"),
    "report.committee": ("评标委员会", "Committee"),
    "report.position": ("席位", "Seat"),
    "report.name": ("姓名", "Name"),
    "report.code": ("专家编号", "Expert code"),
    "report.chair": ("主任委员", "Chair"),
    "report.candidates": ("中标候选人（前三名）", "Candidates (top three)"),
    "report.rank": ("排名", "Rank"),
    "report.bidder": ("投标人", "Bidder"),
    "report.price": ("投标报价（元）", "Price (yuan)"),
    "report.total": ("综合得分/评标价", "Total / evaluated price"),
    "report.rejected": ("被否决的投标及理由", "Rejected bids and why"),
    "report.none": ("无", "None"),
    "report.qualification": ("资格/符合性审查", "Qualification"),
    "report.pass": ("通过", "pass"),
    "report.fail": ("不通过", "fail"),
    "report.scores": ("各专家分项评分", "Each member's scores per criterion"),
    "report.criterion": ("评分因素", "Criterion"),
    "report.deviations": ("偏离评分及书面理由", "Deviating scores and their reasons"),
    "report.mean": ("平均分", "Mean"),
    "report.reason": ("理由", "Reason"),
    "report.signatures": ("专家签署", "Members' signatures"),
    "report.signed": ("已签署", "signed"),
    "report.unsigned": ("未签署", "not signed"),
    "report.key": ("签名密钥", "Signing key"),
    "report.dissent": ("不同意见", "Dissenting opinion"),
    "report.complete": (
        "全体评标委员会成员已签署，报告完成。",
        "Every seated member has signed: the report is complete.",
    ),
    "report.incomplete": (
        "尚有成员未签署。",
        "Some members have not signed yet.",
    ),
    "report.sign.title": ("签署评标报告", "Sign the report"),
    "report.sign.note": (
        "浏览器先由上方报告内容重新计算摘要，与平台给出的摘要一致后，以您已登记的签名密钥"
        "签署（摘要、版本、席位与您的不同意见）。签署后不可更改。",
        "Your browser recomputes the digest from the report shown, checks it against the"
        " platform's, then signs it with your registered key (digest, version, seat and your"
        " dissent). A signature is final.",
    ),
    "report.sign.dissent": (
        "不同意见（如有，将载入报告）",
        "Dissenting opinion (optional; it enters the report)",
    ),
    "report.sign.submit": ("签署", "Sign"),
    "report.pdf": ("下载 PDF", "Download PDF"),
    "report.json": ("JSON", "JSON"),
    "report.re.title": ("重新评审", "Re-evaluation"),
    "report.re.note": (
        "定稿后评分仅可在下列情形下经重新评审更改（{citation}）；全体专家更正后重新提交，"
        "主任委员再次定稿，报告生成新版本，旧版本保留。候选人公示后不可发起。",
        "After finalising, scores change only through a re-evaluation in these cases"
        " ({citation}); the members correct and resubmit, the chair finalises again and the"
        " report gets a new version (the old one stays). Not once candidates are published.",
    ),
    "report.re.case": ("情形", "Case"),
    "report.re.reason": ("理由", "Reason"),
    "report.re.submit": ("发起重新评审", "Open a re-evaluation"),
    "report.re.open": (
        "重新评审进行中（第 {n} 次）：{case}。",
        "Re-evaluation no. {n} is open: {case}.",
    ),
    "report.re.of": ("本版本因重新评审产生", "This version follows a re-evaluation"),
    "report.done.finalised": (
        "评审已定稿，评标报告已生成，请签署。",
        "Finalised: the report is built, please sign it.",
    ),
    "report.done.signed": ("您的签名已记录。", "Your signature is recorded."),
    "report.done.reopened": ("重新评审已发起。", "The re-evaluation is open."),
    "report.back_desk": ("返回评审", "Back to scoring"),
    "report.back_tab": ("返回评标页", "Back to the evaluation tab"),
}
register(MESSAGES)
