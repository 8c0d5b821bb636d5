"""Strings of the expert pool page and the lot desk's committee tab."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    # the lot desk's tab (kernel i18n has the other desk.tab.* keys)
    "desk.tab.committee": ("评标委员会", "Committee"),
    # the pool page
    "experts.title": ("专家库", "Expert pool"),
    "experts.center": ("交易中心", "Center"),
    "experts.q": ("姓名、编号或专业代码", "Name, code or specialty"),
    "experts.search": ("查询", "Search"),
    "experts.total": ("共 {n} 名专家", "{n} experts"),
    "experts.none": ("没有符合条件的专家", "No experts match"),
    "experts.code": ("专家编号", "Code"),
    "experts.name": ("姓名", "Name"),
    "experts.specialties": ("专业", "Specialties"),
    "experts.region": ("所在地区", "Region"),
    "experts.employer": ("工作单位", "Employer"),
    "experts.active": ("状态", "Status"),
    "experts.active.yes": ("在库", "Active"),
    "experts.active.no": ("停用", "Inactive"),
    "experts.prev": ("上一页", "Previous"),
    "experts.next": ("下一页", "Next"),
    "experts.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "experts.readonly": (
        "监督人员只能查看专家库，不能导入或修改。",
        "Supervisors read the pool; they do not import or change it.",
    ),
    "experts.export": ("导出专家库（CSV）", "Export the pool (CSV)"),
    "experts.import": ("导入专家（CSV）", "Import experts (CSV)"),
    "experts.import.note": (
        "列：code,name,username,specialties,region,employer,employer_uscc,phone,active,"
        "avoid_usccs（与导出格式相同；多个专业或回避单位以;分隔）。任何一行有错误时不导入任何记录；"
        "已有的专家编号按本文件更新。",
        "Columns: code,name,username,specialties,region,employer,employer_uscc,phone,active,"
        "avoid_usccs (as the export; several specialties or avoided organizations separated by"
        " ;). When any row has an error nothing is imported; an existing code is updated.",
    ),
    "experts.import.file": ("CSV 文件", "CSV file"),
    "experts.import.text": ("或粘贴 CSV 内容", "or paste the CSV"),
    "experts.import.submit": ("导入", "Import"),
    "experts.import.errors": ("导入失败的行", "Rows that failed"),
    "experts.import.line": ("行号", "Line"),
    "experts.import.field": ("字段", "Field"),
    "experts.import.why": ("原因", "Why"),
    "experts.import.done": (
        "导入完成：新增 {created} 名，更新 {updated} 名",
        "Imported: {created} added, {updated} updated",
    ),
    "experts.policy": ("抽取规则", "Draw policy"),
    "experts.policy.reach_parent": (
        "抽取时同时使用上级中心的专家库（远程异地评标）",
        "Draws also reach the parent center's pool (remote evaluation)",
    ),
    "experts.policy.no_parent": ("本中心没有上级中心", "This center has no parent"),
    "experts.policy.recent_days": (
        "回避期（天）：在此期间参加过同一招标人评标的专家不被抽取，0 为不限",
        "Rest period (days): experts on a committee for the same tenderer within it are not"
        " drawn; 0 for none",
    ),
    "experts.policy.submit": ("保存抽取规则", "Save the policy"),
    "experts.policy.done": ("抽取规则已保存", "The policy is saved"),
    "experts.yes": ("是", "Yes"),
    "experts.no": ("否", "No"),
    # the committee tab
    "committee.rule": ("规则", "Rule"),
    "committee.required": (
        "本标段评标委员会不少于 {n} 人（单数），其中技术、经济等方面的专家不少于三分之二。",
        "This lot's committee has an odd number of at least {n} members, experts at least 2/3.",
    ),
    "committee.draw": ("随机抽取评标专家", "Draw the committee"),
    "committee.draw.note": (
        "抽取前先把随机种子的 SHA-256 写入审计日志；种子在定标后公布，任何人可用"
        " bidhall evaluate draw 复核。",
        "The seed's SHA-256 goes into the audit log before the draw; the seed is published"
        " after the award and anyone can rerun the draw with bidhall evaluate draw.",
    ),
    "committee.specialty": ("专业代码", "Specialty"),
    "committee.count": ("人数", "Experts"),
    "committee.representatives": ("招标人代表人数", "Tenderer's representatives"),
    "committee.available": ("可抽取专家（已排除回避）", "Eligible experts (conflicts excluded)"),
    "committee.submit": ("抽取", "Draw"),
    "committee.not_drawable": (
        "标段发布后、评标前可以抽取评标委员会",
        "The committee is drawn once the lot is published, before evaluation",
    ),
    "committee.none": ("尚未抽取评标委员会", "No committee drawn yet"),
    "committee.drawn": ("抽取结果", "The draw"),
    "committee.drawn_at": ("抽取时间", "Drawn"),
    "committee.seed_sha256": ("随机种子承诺（SHA-256）", "Seed commitment (SHA-256)"),
    "committee.pool_digest": ("专家库快照摘要", "Pool snapshot digest"),
    "committee.pool_size": ("快照人数", "Experts in the snapshot"),
    "committee.seed": ("随机种子（定标后公布）", "Seed (published after the award)"),
    "committee.members": ("评标委员会成员", "Members"),
    "committee.position": ("序号", "No."),
    "committee.status": ("状态", "Status"),
    "committee.seated": ("在任", "Seated"),
    "committee.declined": ("已回避/拒绝", "Declined"),
    "committee.reason": ("理由", "Reason"),
    "committee.decline": ("登记拒绝并补抽", "Record a decline and replace"),
    "committee.names_hidden": (
        "专家姓名仅本标段所属中心的工作人员可见，结果公布前对投标人和公众保密。",
        "Experts' names are visible to the lot's staff only until the result is published.",
    ),
    "committee.done.drawn": ("评标委员会已抽取", "The committee is drawn"),
    "committee.done.declined": (
        "已登记拒绝，补抽的专家已入座",
        "The decline is recorded and the replacement seated",
    ),
}

register(MESSAGES)
