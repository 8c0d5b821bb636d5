"""UI strings of the expert workspace (评标室)."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES = {
    "expert.title": ("评标室", "Evaluation room"),
    "expert.none": (
        "您目前没有需要评审的标段。",
        "You sit on no committee with a lot to evaluate.",
    ),
    "expert.lot": ("标段", "Lot"),
    "expert.position": ("席位", "Seat"),
    "expert.chair": ("主任委员", "Chair"),
    "expert.status": ("状态", "Status"),
    "expert.status.new": ("待声明", "To declare"),
    "expert.status.draft": ("评审中", "Scoring"),
    "expert.status.submitted": ("已提交", "Submitted"),
    "expert.status.finalised": ("已定稿", "Finalised"),
    "expert.status.reevaluation": ("重新评审中", "Re-evaluation open"),
    "expert.open": ("进入", "Open"),
    "expert.declare.title": ("无利害关系声明", "Declaration of no conflict"),
    "expert.declare.note": (
        "声明前不显示投标文件。",
        "The bids are shown only after the declaration.",
    ),
    "expert.declare.submit": ("签署声明", "Declare"),
    "expert.declared": ("已于 {at} 声明无利害关系。", "Declared no conflict at {at}."),
    "expert.bids": ("投标文件", "Bids"),
    "expert.bidder": ("投标人", "Bidder"),
    "expert.price": ("投标报价（元）", "Price (yuan)"),
    "expert.price_form": ("报价表", "Price form"),
    "expert.qualification": ("资格/符合性审查", "Qualification"),
    "expert.pass": ("通过", "Pass"),
    "expert.fail": ("不通过", "Fail"),
    "expert.reason": ("理由", "Reason"),
    "expert.criteria": ("评分", "Scores"),
    "expert.no_criteria": (
        "本标段评标办法无主观评分因素，仅需资格审查。",
        "This lot's method has no subjective criteria: decide qualification only.",
    ),
    "expert.max": ("满分", "max"),
    "expert.comment": ("评语", "Comment"),
    "expert.save": ("保存草稿", "Save draft"),
    "expert.submit": ("提交（提交后不可更改）", "Submit (final)"),
    "expert.progress": ("提交情况", "Who has submitted"),
    "expert.progress.note": (
        "全体提交前仅显示提交状态，不显示分数。",
        "Until all have submitted only the status shows, never the scores.",
    ),
    "expert.deviations": ("偏离评分说明", "Deviating scores"),
    "expert.deviation.note": (
        "以下评分偏离委员会平均分超过规定比例，须书面说明理由。",
        "These scores deviate from the committee mean beyond the set share: give a reason.",
    ),
    "expert.mean": ("平均分", "Mean"),
    "expert.explain": ("提交说明", "Save reasons"),
    "expert.outstanding": (
        "尚有 {n} 项偏离评分未说明理由。",
        "{n} deviating scores lack a reason.",
    ),
    "expert.finalise": ("定稿", "Finalise"),
    "expert.done.declared": ("声明已记录。", "Declaration recorded."),
    "expert.done.saved": ("草稿已保存。", "Draft saved."),
    "expert.done.submitted": ("您的评审已提交。", "Your evaluation is submitted."),
    "expert.done.explained": ("偏离说明已保存。", "Reasons saved."),
    "expert.done.finalised": ("评审已定稿。", "The evaluation is finalised."),
    "expert.back": ("返回评标室", "Back to the evaluation room"),
    "expert.finalised": (
        "评审已定稿；仅可通过重新评审（财政部令第87号第六十四条）更改。",
        "The evaluation is finalised; only a recorded re-evaluation (Order 87, Art. 64)"
        " changes it.",
    ),
    "expert.reopened": (
        "重新评审进行中：请更正评分后重新提交，主任委员再次定稿。",
        "A re-evaluation is open: correct and resubmit your sheet; the chair finalises again.",
    ),
    "expert.declare.sign_note": (
        "声明由您在本浏览器中以已登记的签名密钥（Ed25519）签署，平台核验签名后记录。",
        "You sign the declaration in this browser with your registered Ed25519 key; the"
        " platform verifies the signature before recording it.",
    ),
    "expert.report.link": ("评标报告", "Evaluation report"),
    "expert.js.key_ok": (
        "本浏览器的签名密钥已在平台登记，可以签署。",
        "This browser's key is registered: you can sign.",
    ),
    "expert.js.key_none": (
        "尚未登记签名密钥。请先生成并登记，再签署声明与评标报告。",
        "No signing key registered yet: generate and register one, then sign.",
    ),
    "expert.js.key_other": (
        "平台登记的是其他设备的密钥。在本浏览器签署须生成并登记新密钥（原密钥将被吊销，"
        "已签署的内容不受影响）。",
        "The platform holds a key from another device. Signing here needs a new key;"
        " registering it revokes the old one (what you signed stays valid).",
    ),
    "expert.js.digest_mismatch": (
        "报告内容与平台给出的摘要不一致，拒绝签署",
        "The report shown does not match the platform's digest; not signing",
    ),
}
register(MESSAGES)
