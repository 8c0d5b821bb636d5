"""A person's claim to act for a company (by USCC), decided by a center's staff.

A claim carries the company's name, its unified social credit code and its business licence
(PDF or image, stored by SHA-256). It gives no bidder rights while pending. Any number of
pending claims of one USCC may coexist, so a squatter who claims first never blocks the real
company; approving one creates the organization, makes the claimant its administrator and
rejects the others of that USCC in the same transaction. The decisions of one USCC are
serialised by locking its claims in id order, and at most one approved claim per USCC (and one
organization per USCC) is a database constraint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import service as audit
from trading.auth.models import User
from trading.centers.models import Center
from trading.centers.scope import CenterScope, Material, may_see
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore, StagedBlob
from trading.kernel.codes import CodeError, validate_uscc
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from trading.parties.models import ClaimState, Organization, OrgClaim

LICENCE_MAX_BYTES = 10 << 20
# The licence is a scan or a PDF: its first bytes say which (never the client's content type).
LICENCE_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
REASON_MAX = 500
SUPERSEDED = "同一统一社会信用代码的另一申请已获批准 / another claim of this USCC was approved"


@dataclass(frozen=True)
class ClaimDraft:
    """What a claimant states; checked by `check_draft` before anything is written."""

    uscc: str
    org_name: str
    center_code: str
    licence_name: str
    sme: bool = False


def check_uscc(raw: str) -> str:
    try:
        return validate_uscc(raw)
    except CodeError as exc:
        raise ValidationFailed(f"uscc: {exc}") from exc


def check_org_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 2 <= len(name) <= 200:
        raise ValidationFailed("org_name: 单位名称应为2–200字 / 2 to 200 characters")
    return name


def check_licence_name(raw: str | None) -> str:
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise ValidationFailed("licence: 文件名无效 / invalid file name")
    return name


def licence_type(staged: StagedBlob) -> str:
    """The licence's media type from its first bytes; anything else is refused."""
    with staged.path.open("rb") as fh:
        head = fh.read(8)
    for magic, media in LICENCE_MAGIC:
        if head.startswith(magic):
            return media
    raise ValidationFailed(
        "licence: 营业执照须为 PDF、PNG 或 JPEG 文件 / the licence must be a PDF, PNG or JPEG"
    )


async def check_draft(session: AsyncSession, draft: ClaimDraft) -> tuple[str, str, Center]:
    """(USCC, company name, center) of a draft, or ValidationFailed naming the field."""
    code = check_uscc(draft.uscc)
    name = check_org_name(draft.org_name)
    center = await session.scalar(select(Center).where(Center.code == draft.center_code.strip()))
    if center is None:
        raise ValidationFailed("center: 请选择受理的交易中心 / choose the reviewing center")
    return code, name, center


async def claim_in_tx(
    session: AsyncSession,
    user: User,
    draft: ClaimDraft,
    staged: StagedBlob,
    media: str,
    blobs: LocalBlobStore,
    *,
    now: datetime,
    ip: str,
) -> OrgClaim:
    """File a claim inside the caller's write transaction (the sign-up's, or its own)."""
    code, name, center = await check_draft(session, draft)
    if user.org_id is not None:
        raise Conflict("claim: 您已属于一个单位 / you already act for a company")
    if await session.scalar(select(Organization.id).where(Organization.uscc == code)):
        raise Conflict(
            f"uscc: {code} 已有获批的管理员，请向其索取邀请 / this company already has an approved"
            " administrator: ask them for an invitation"
        )
    if await session.scalar(
        select(OrgClaim.id).where(OrgClaim.user_id == user.id, OrgClaim.state == ClaimState.PENDING)
    ):
        raise Conflict("claim: 您已有待审核的申请 / you already have a claim waiting for review")
    claim = OrgClaim(
        user_id=user.id,
        center_id=center.id,
        uscc=code,
        org_name=name,
        sme=draft.sme,
        licence_sha256=staged.sha256,
        licence_name=check_licence_name(draft.licence_name),
        licence_type=media,
        licence_size=staged.size,
        state=ClaimState.PENDING,
        reason="",
        created_at=now,
    )
    session.add(claim)
    await session.flush()
    await audit.append(
        session,
        Actor(user.id, user.username, frozenset(user.roles), ip=ip),
        "party.claim",
        "org_claim",
        claim.id,
        at=now,
        center_id=center.id,
        detail={
            "uscc": code,
            "org_name": name,
            "licence_sha256": staged.sha256,
            "username": user.username,
        },
    )
    blobs.commit(staged)
    return claim


async def file_claim(
    session: AsyncSession,
    actor: Actor,
    draft: ClaimDraft,
    staged: StagedBlob,
    blobs: LocalBlobStore,
    *,
    now: datetime,
) -> OrgClaim:
    """A signed-in person without a company claims one (POST /api/v1/me/claims, /account)."""
    try:
        if actor.user_id is None:
            raise Unauthorized("请先登录 / sign in first")
        media = licence_type(staged)
        async with writing(session):
            user = await session.get(User, actor.user_id, with_for_update=True)
            if user is None or not user.active:
                raise Unauthorized("请先登录 / sign in first")
            if set(user.roles) - {Role.BIDDER}:
                raise Forbidden(
                    "claim: 此账户不能代表投标单位 / this account cannot act for a bidder"
                )
            return await claim_in_tx(
                session, user, draft, staged, media, blobs, now=now, ip=actor.ip
            )
    finally:
        blobs.discard(staged)


# ---- review ----------------------------------------------------------------------------------


def _may_decide(actor: Actor, claim: OrgClaim) -> None:
    """A claim is decided by the staff of the center it was filed with; supervisors read."""
    if actor.user_id is None:
        raise Unauthorized("请先登录 / sign in first")
    if not actor.has(Role.STAFF):
        raise Forbidden("仅交易中心工作人员可审核 / only center staff decide claims")
    if actor.center_id != claim.center_id:
        raise Forbidden("该申请不属于您的交易中心 / this claim was filed with another center")


async def _locked_claims(session: AsyncSession, claim_id: int) -> tuple[OrgClaim, list[OrgClaim]]:
    """The claim and every claim of its USCC, locked in id order: two decisions on one USCC
    run one after the other, and the second sees the first's outcome."""
    found = await session.get(OrgClaim, claim_id)
    if found is None:
        raise NotFound("申请不存在 / no such claim")
    rows = list(
        await session.scalars(
            select(OrgClaim)
            .where(OrgClaim.uscc == found.uscc)
            .order_by(OrgClaim.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    return next(r for r in rows if r.id == claim_id), rows


def _still_pending(claim: OrgClaim) -> None:
    if claim.state != ClaimState.PENDING:
        raise Conflict(
            f"申请已处理（{claim.state}） / the claim was already decided: {claim.state}"
        )


async def approve(session: AsyncSession, actor: Actor, claim_id: int, *, now: datetime) -> OrgClaim:
    """Approve a pending claim: the organization is created, the claimant becomes its
    administrator with the bidder role, and the other pending claims of the USCC are rejected."""
    async with writing(session):
        claim, same_uscc = await _locked_claims(session, claim_id)
        _may_decide(actor, claim)
        _still_pending(claim)
        if await session.scalar(select(Organization.id).where(Organization.uscc == claim.uscc)):
            raise Conflict(f"uscc: {claim.uscc} 已注册 / already registered")
        claimant = await session.get(
            User, claim.user_id, with_for_update=True, populate_existing=True
        )
        assert claimant is not None  # a foreign key
        if claimant.org_id is not None:
            raise Conflict("申请人已加入其他单位 / the claimant joined another company meanwhile")
        org = Organization(name=claim.org_name, uscc=claim.uscc, sme=claim.sme, created_at=now)
        session.add(org)
        await session.flush()  # a racing approval that got this far fails on organization.uscc
        claim.state, claim.decided_at, claim.decided_by_id = ClaimState.APPROVED, now, actor.user_id
        claim.org_id = org.id
        claimant.org_id, claimant.org_admin = org.id, True
        claimant.roles = sorted({*claimant.roles, Role.BIDDER})
        superseded = [c for c in same_uscc if c.id != claim.id and c.state == ClaimState.PENDING]
        for other in superseded:
            other.state, other.reason = ClaimState.REJECTED, SUPERSEDED
            other.decided_at, other.decided_by_id = now, actor.user_id
        await session.flush()
        await audit.append(
            session,
            actor,
            "party.claim_approve",
            "org_claim",
            claim.id,
            at=now,
            center_id=claim.center_id,
            detail={
                "uscc": claim.uscc,
                "org_id": org.id,
                "claimant": claimant.username,
                "rejected_claims": [c.id for c in superseded],
            },
        )
    return claim


def check_reason(raw: str) -> str:
    reason = raw.strip()
    if not 2 <= len(reason) <= REASON_MAX:
        raise ValidationFailed(f"reason: 请填写驳回理由（2–{REASON_MAX}字） / give a reason")
    return reason


async def reject(
    session: AsyncSession, actor: Actor, claim_id: int, reason: str, *, now: datetime
) -> OrgClaim:
    """Reject a pending claim with a reason the claimant reads."""
    text = check_reason(reason)
    async with writing(session):
        claim, _ = await _locked_claims(session, claim_id)
        _may_decide(actor, claim)
        _still_pending(claim)
        claim.state, claim.reason = ClaimState.REJECTED, text
        claim.decided_at, claim.decided_by_id = now, actor.user_id
        await session.flush()
        await audit.append(
            session,
            actor,
            "party.claim_reject",
            "org_claim",
            claim.id,
            at=now,
            center_id=claim.center_id,
            detail={"uscc": claim.uscc, "reason": text},
        )
    return claim


# ---- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    claim: OrgClaim
    username: str
    display_name: str
    center_code: str
    center_name: str


async def for_review(
    session: AsyncSession, scope: CenterScope, *, state: str = ClaimState.PENDING, limit: int = 200
) -> list[ClaimRow]:
    """Claims filed with the centers in scope (staff: their own; supervisors: their subtree)."""
    if not scope.unpublished:
        return []
    rows = await session.execute(
        select(OrgClaim, User.username, User.display_name, Center.code, Center.name)
        .join(User, User.id == OrgClaim.user_id)
        .join(Center, Center.id == OrgClaim.center_id)
        .where(OrgClaim.center_id.in_(scope.unpublished), OrgClaim.state == state)
        .order_by(OrgClaim.created_at, OrgClaim.id)
        .limit(limit)
    )
    return [ClaimRow(*row) for row in rows.all()]


async def of_user(session: AsyncSession, user_id: int) -> list[ClaimRow]:
    rows = await session.execute(
        select(OrgClaim, User.username, User.display_name, Center.code, Center.name)
        .join(User, User.id == OrgClaim.user_id)
        .join(Center, Center.id == OrgClaim.center_id)
        .where(OrgClaim.user_id == user_id)
        .order_by(OrgClaim.created_at.desc(), OrgClaim.id.desc())
    )
    return [ClaimRow(*row) for row in rows.all()]


async def open_licence(
    session: AsyncSession, actor: Actor, scope: CenterScope, claim_id: int, blobs: LocalBlobStore
) -> tuple[OrgClaim, BinaryIO]:
    """The licence file, for its claimant and for those who see the claim's center."""
    if actor.user_id is None:
        raise Unauthorized("请先登录 / sign in first")
    claim = await session.get(OrgClaim, claim_id)
    if claim is None or not (
        claim.user_id == actor.user_id or may_see(scope, claim.center_id, Material.UNPUBLISHED)
    ):
        raise NotFound("申请不存在 / no such claim")
    return claim, blobs.open(claim.licence_sha256)
