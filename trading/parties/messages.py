"""The organization directory's, claim review's and company page's UI strings."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "party.dir.title": ("单位名录", "Organization directory"),
    "party.dir.q": ("名称或统一社会信用代码", "Name or USCC"),
    "party.dir.name": ("单位名称", "Name"),
    "party.dir.uscc": ("统一社会信用代码", "USCC"),
    "party.dir.sme": ("中小企业", "SME"),
    "party.dir.none": ("没有符合条件的单位", "No organization matches"),
    "party.dir.total": ("共 {n} 个单位", "{n} organizations"),
    "party.dir.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "party.dir.prev": ("上一页", "Previous"),
    "party.dir.next": ("下一页", "Next"),
    "party.dir.yes": ("是", "Yes"),
    "claims.title": ("单位申请审核", "Company claims"),
    "claims.none": ("没有待审核的申请", "No claims wait for review"),
    "claims.claimant": ("申请人", "Claimant"),
    "claims.approve": ("批准", "Approve"),
    "claims.reject": ("驳回", "Reject"),
    "claims.reason": ("驳回理由（申请人可见）", "Reason (shown to the claimant)"),
    "claims.read_only": ("监督人员只读", "Supervisors read only"),
    "claims.show": ("查看", "Show"),
    "claims.done.approved": (
        "已批准，其他同一代码的待审申请已驳回。",
        "Approved; the other pending claims of this USCC were rejected.",
    ),
    "claims.done.rejected": ("已驳回。", "Rejected."),
    "company.title": ("单位用户", "Company users"),
    "company.members": ("用户", "Users"),
    "company.username": ("用户名", "Username"),
    "company.name": ("姓名", "Name"),
    "company.admin": ("管理员", "Administrator"),
    "company.remove": ("移除", "Remove"),
    "company.invite": ("邀请新用户", "Invite a user"),
    "company.note": ("备注（选填，如被邀请人姓名）", "Note (optional, e.g. the invitee's name)"),
    "company.invite_submit": ("生成邀请链接", "Create an invitation link"),
    "company.invite_link": (
        "邀请链接（仅显示一次，单次有效，7天内使用）：",
        "Invitation link (shown once, single use, valid 7 days):",
    ),
    "company.invitations": ("邀请记录", "Invitations"),
    "company.inv.open": ("未使用", "Open"),
    "company.inv.used": ("已使用", "Used"),
    "company.inv.revoked": ("已撤销", "Revoked"),
    "company.inv.expired": ("已过期", "Expired"),
    "company.revoke": ("撤销", "Revoke"),
    "company.expires": ("有效期至", "Expires"),
    "company.only_admin": (
        "只有单位管理员可以邀请或移除用户。",
        "Only the company's administrator invites or removes users.",
    ),
    "company.done.removed": (
        "已移除该用户，其会话和令牌已失效。",
        "User removed; their sessions and tokens no longer work.",
    ),
    "company.done.revoked": ("邀请已撤销。", "Invitation revoked."),
}

register(MESSAGES)
