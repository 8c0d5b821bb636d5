"""Sign-up and account pages' UI strings (Simplified Chinese, English)."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "signup.title": ("注册账户", "Sign up"),
    "signup.link": ("没有账户？注册", "No account? Sign up"),
    "signup.person": ("个人信息", "You"),
    "signup.username": ("用户名", "Username"),
    "signup.username_hint": (
        "3–64位小写字母、数字、点、横线或下划线",
        "3–64 lower-case letters, digits, '.', '-' or '_'",
    ),
    "signup.display_name": ("姓名", "Full name"),
    "signup.password": ("密码（至少10位）", "Password (at least 10 characters)"),
    "signup.password2": ("再次输入密码", "Password again"),
    "signup.password_mismatch": ("两次输入的密码不一致", "The two passwords differ"),
    "signup.phone": ("手机号（选填）", "Phone (optional)"),
    "signup.email": ("电子邮箱（选填）", "E-mail (optional)"),
    "signup.company": ("投标单位", "Company"),
    "signup.mode.claim": (
        "申请代表一个单位（须交易中心审核）",
        "Claim a company (reviewed by a center)",
    ),
    "signup.mode.none": ("暂不关联单位", "No company for now"),
    "signup.uscc": ("统一社会信用代码", "Unified social credit code (USCC)"),
    "signup.org_name": ("单位名称（与营业执照一致）", "Company name (as on the licence)"),
    "signup.sme": ("中小企业", "Small or medium enterprise"),
    "signup.center": ("受理的交易中心", "Reviewing trading center"),
    "signup.center_choose": ("请选择", "Choose"),
    "signup.licence": (
        "营业执照（PDF、PNG 或 JPEG，最大10 MB）",
        "Business licence (PDF, PNG or JPEG, up to 10 MB)",
    ),
    "signup.licence_hint": (
        "审核通过前，您不能报名、加密或递交投标文件。",
        "Until a center approves the claim you cannot register for lots, seal or submit bids.",
    ),
    "signup.invited": ("您受邀加入：", "You are invited to join:"),
    "signup.invite_invalid": (
        "邀请链接无效、已使用或已过期，请向单位管理员索取新的邀请。",
        "This invitation is invalid, used or expired: ask the administrator for a new one.",
    ),
    "signup.submit": ("注册", "Sign up"),
    "signup.have_account": ("已有账户？登录", "Have an account? Sign in"),
    "account.title": ("我的账户", "My account"),
    "account.company": ("所属单位", "Company"),
    "account.none": ("您尚未关联任何单位。", "You act for no company yet."),
    "account.claims": ("单位申请", "Company claims"),
    "account.new_claim": ("申请代表一个单位", "Claim a company"),
    "account.claim_submit": ("提交申请", "Submit the claim"),
    "account.pending_note": (
        "申请待审核：审核通过前不能参与投标。",
        "Your claim waits for review: you cannot take part in tenders until it is approved.",
    ),
    "account.go_bidder": ("进入投标人工作台", "Go to the bidder workspace"),
    "account.go_company": ("单位用户管理", "Company users"),
    "account.done.signed_up": ("注册成功。", "Signed up."),
    "account.done.claimed": (
        "申请已提交，请等待交易中心审核。",
        "Claim filed: a center will review it.",
    ),
    "claim.state.pending": ("待审核", "Pending"),
    "claim.state.approved": ("已批准", "Approved"),
    "claim.state.rejected": ("已驳回", "Rejected"),
    "claim.uscc": ("统一社会信用代码", "USCC"),
    "claim.org_name": ("单位名称", "Company"),
    "claim.center": ("交易中心", "Center"),
    "claim.state": ("状态", "State"),
    "claim.reason": ("驳回理由", "Reason"),
    "claim.filed": ("提交时间", "Filed"),
    "claim.licence": ("营业执照", "Licence"),
    "claim.sha256": ("SHA-256", "SHA-256"),
    "nav.account": ("我的账户", "My account"),
}

register(MESSAGES)
