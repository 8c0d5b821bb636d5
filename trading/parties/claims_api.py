"""JSON API of company claims (reviewed by a center) and of a company's users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from trading.centers.scope import CenterScope
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.clock import Clock
from trading.kernel.errors import ValidationFailed
from trading.kernel.web import requires
from trading.parties import claims, company
from trading.parties.claims import ClaimDraft, ClaimRow
from trading.parties.models import ClaimState


class ClaimOut(msgspec.Struct):
    id: int
    uscc: str
    org_name: str
    sme: bool
    center: str
    claimant: str
    state: str
    reason: str
    licence_sha256: str
    licence_name: str
    licence_type: str
    licence_size: int
    created_at: str
    decided_at: str | None
    org_id: int | None


def claim_out(row: ClaimRow) -> ClaimOut:
    c = row.claim
    return ClaimOut(
        id=c.id,
        uscc=c.uscc,
        org_name=c.org_name,
        sme=c.sme,
        center=row.center_code,
        claimant=row.username,
        state=c.state,
        reason=c.reason,
        licence_sha256=c.licence_sha256,
        licence_name=c.licence_name,
        licence_type=c.licence_type,
        licence_size=c.licence_size,
        created_at=c.created_at.isoformat(),
        decided_at=c.decided_at.isoformat() if c.decided_at else None,
        org_id=c.org_id,
    )


@dataclass
class ClaimForm:
    """multipart/form-data: the company, the reviewing center's code, the licence file."""

    uscc: str
    org_name: str
    center: str
    licence: UploadFile
    sme: bool = False


class DecisionOut(msgspec.Struct):
    id: int
    state: str
    org_id: int | None


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=claims.REASON_MAX)]


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 20):
        yield chunk


async def file_chunks(fh: BinaryIO) -> AsyncIterator[bytes]:
    with fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def licence_stream(claim: Any, fh: BinaryIO) -> Stream:
    return Stream(
        file_chunks(fh),
        media_type=claim.licence_type,
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(claim.licence_name)}",
            "x-content-sha256": claim.licence_sha256,
            "x-content-type-options": "nosniff",
        },
    )


class MyClaimsApi(Controller):
    path = "/api/v1/me/claims"
    tags = ["accounts"]  # noqa: RUF012

    @post(
        "/",
        status_code=201,
        request_max_body_size=claims.LICENCE_MAX_BYTES + (64 << 10),
    )
    async def file(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        data: Annotated[ClaimForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        blobs: LocalBlobStore,
        clock: Clock,
    ) -> ClaimOut:
        """Claim to act for a company: pending until the chosen center's staff approve it."""
        if not isinstance(data.licence, UploadFile) or not data.licence.filename:
            raise ValidationFailed("licence: 请上传营业执照 / upload the business licence")
        staged = await blobs.stage(upload_chunks(data.licence), max_size=claims.LICENCE_MAX_BYTES)
        draft = ClaimDraft(data.uscc, data.org_name, data.center, data.licence.filename, data.sme)
        claim = await claims.file_claim(
            db_session, request.user, draft, staged, blobs, now=clock.now()
        )
        mine = await claims.of_user(db_session, claim.user_id)
        return claim_out(next(r for r in mine if r.claim.id == claim.id))

    @get("/")
    async def mine(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession
    ) -> list[ClaimOut]:
        """The caller's own claims, newest first, with the reason of any rejection."""
        if request.user.user_id is None:
            return []
        return [claim_out(r) for r in await claims.of_user(db_session, request.user.user_id)]


class ClaimsApi(Controller):
    path = "/api/v1/claims"
    tags = ["accounts"]  # noqa: RUF012

    @get("/", guards=[requires(Role.STAFF, Role.SUPERVISOR)])
    async def listing(
        self,
        db_session: AsyncSession,
        center_scope: CenterScope,
        claim_state: Annotated[ClaimState, Parameter(query="state")] = ClaimState.PENDING,
    ) -> list[ClaimOut]:
        """Claims filed with the centers in the caller's scope (staff: their own center;
        supervisors: their subtree), oldest first."""
        return [
            claim_out(r)
            for r in await claims.for_review(db_session, center_scope, state=claim_state)
        ]

    @get("/{claim_id:int}/licence", media_type="application/octet-stream")
    async def licence(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        center_scope: CenterScope,
        claim_id: int,
        blobs: LocalBlobStore,
    ) -> Stream:
        """The business licence as uploaded (its SHA-256 in X-Content-SHA256)."""
        claim, fh = await claims.open_licence(
            db_session, request.user, center_scope, claim_id, blobs
        )
        return licence_stream(claim, fh)

    @post("/{claim_id:int}/approve", guards=[requires(Role.STAFF)], status_code=200)
    async def approve(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        claim_id: int,
        clock: Clock,
    ) -> DecisionOut:
        """Approve: the organization is created, the claimant administers it, and every other
        pending claim of the USCC is rejected. 409 when the claim was already decided."""
        claim = await claims.approve(db_session, request.user, claim_id, now=clock.now())
        return DecisionOut(claim.id, claim.state, claim.org_id)

    @post("/{claim_id:int}/reject", guards=[requires(Role.STAFF)], status_code=200)
    async def reject(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        claim_id: int,
        data: RejectIn,
        clock: Clock,
    ) -> DecisionOut:
        """Reject with a reason the claimant reads."""
        claim = await claims.reject(
            db_session, request.user, claim_id, data.reason, now=clock.now()
        )
        return DecisionOut(claim.id, claim.state, claim.org_id)


# ---- the caller's company ----------------------------------------------------------------------


class MemberOut(msgspec.Struct):
    user_id: int
    username: str
    display_name: str
    admin: bool


class InvitationOut(msgspec.Struct):
    id: int
    note: str
    created_at: str
    expires_at: str
    used: bool
    revoked: bool


class CompanyOut(msgspec.Struct):
    org_id: int
    name: str
    uscc: str
    admin: bool
    members: list[MemberOut]
    invitations: list[InvitationOut]


class InviteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=company.NOTE_MAX)] = ""


class InviteOut(msgspec.Struct):
    id: int
    code: str
    link: str
    expires_at: str


class CompanyApi(Controller):
    path = "/api/v1/me/company"
    tags = ["accounts"]  # noqa: RUF012
    guards = [requires(Role.BIDDER)]  # noqa: RUF012

    @get("/")
    async def show(self, request: Request[Actor, Any, Any], db_session: AsyncSession) -> CompanyOut:
        """The caller's company and its users (and, for its administrator, the invitations)."""
        v = await company.view(db_session, request.user)
        return CompanyOut(
            org_id=v.org.id,
            name=v.org.name,
            uscc=v.org.uscc,
            admin=v.is_admin,
            members=[MemberOut(u.id, u.username, u.display_name, u.org_admin) for u in v.members],
            invitations=[
                InvitationOut(
                    i.id,
                    i.note,
                    i.created_at.isoformat(),
                    i.expires_at.isoformat(),
                    i.used_at is not None,
                    i.revoked_at is not None,
                )
                for i in v.invitations
            ],
        )

    @post("/invitations", status_code=201)
    async def invite(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        data: InviteIn,
        clock: Clock,
    ) -> InviteOut:
        """A single-use invitation, valid for INVITATION_DAYS days; the code is shown once."""
        invitation, code = await company.invite(
            db_session, request.user, note=data.note, now=clock.now()
        )
        return InviteOut(
            invitation.id, code, f"/signup?invite={code}", invitation.expires_at.isoformat()
        )

    @post("/invitations/{invitation_id:int}/revoke", status_code=204)
    async def revoke(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        invitation_id: int,
        clock: Clock,
    ) -> None:
        await company.revoke_invitation(db_session, request.user, invitation_id, now=clock.now())

    @delete("/members/{user_id:int}", status_code=204)
    async def remove(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        user_id: int,
        clock: Clock,
    ) -> None:
        """Remove a user from the company: its rights, sessions and API tokens end at once."""
        await company.remove_member(db_session, request.user, user_id, now=clock.now())


ROUTES: list[Any] = [MyClaimsApi, ClaimsApi, CompanyApi]
