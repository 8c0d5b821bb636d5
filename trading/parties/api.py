"""A party registers its own public keys over HTTP; the platform answers with its certificate.

Private keys never reach the server: the client sends only the two raw public keys.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.encoding import b64u_encode
from crypto.keys import Identity
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.errors import NotFound, Unauthorized
from trading.kernel.web import MAX_ID, requires
from trading.parties import claims_api
from trading.parties import service as parties
from trading.parties.models import PartyKey


class KeyRevokedOut(msgspec.Struct):
    key_id: int
    revoked_at: str


class KeysIn(msgspec.Struct, forbid_unknown_fields=True):
    sign_pub: str  # base64url raw Ed25519 public key
    enc_pub: str  # base64url raw X25519 public key


def _signed_in(actor: Actor) -> int:
    if actor.user_id is None:
        raise Unauthorized("请先登录 / sign in first")
    return actor.user_id


def _out(key: PartyKey, platform: Identity) -> dict[str, Any]:
    return {
        "key_id": key.id,
        "sign_pub": key.sign_pub,
        "enc_pub": key.enc_pub,
        "created_at": key.created_at.isoformat(),
        "certificate": key.certificate,
        "platform": {"sign_pub": b64u_encode(platform.sign_pub)},
    }


class KeysApi(Controller):
    path = "/api/v1/me/keys"
    tags = ["keys"]  # noqa: RUF012

    @put("/", status_code=200)
    async def register(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        data: KeysIn,
        clock: Clock,
        platform: Identity,
    ) -> dict[str, Any]:
        """Register (or rotate) the caller's public keys; older keys are revoked."""
        _signed_in(request.user)
        key = await parties.register_keys(
            db_session,
            request.user,
            {"sign_pub": data.sign_pub, "enc_pub": data.enc_pub},
            now=clock.now(),
            platform_sign_priv=platform.sign_priv,
        )
        return _out(key, platform)

    @get("/")
    async def current(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, platform: Identity
    ) -> dict[str, Any]:
        """The caller's current keys and certificate."""
        user_id = _signed_in(request.user)
        key = await db_session.scalar(
            select(PartyKey)
            .where(PartyKey.user_id == user_id, PartyKey.revoked_at.is_(None))
            .order_by(PartyKey.id.desc())
        )
        if key is None:
            raise NotFound("尚未登记公钥 / no keys registered yet")
        return _out(key, platform)

    @post("/{key_id:int}/revoke", status_code=200)
    async def revoke(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        key_id: int,
        clock: Clock,
    ) -> KeyRevokedOut:
        """Revoke one of the caller's own keys (lost or exposed): submissions signed with it are
        refused from now on; register new keys before the bid deadline (PUT /api/v1/me/keys).
        Bids already sealed stay sealed to the lot's opening key as well: the custodians' shares
        open them at the opening. 404 for a key that is not the caller's, 409 if already revoked."""
        _signed_in(request.user)
        now = clock.now()
        key = await parties.revoke_key(db_session, request.user, key_id, now=now)
        return KeyRevokedOut(key_id=key.id, revoked_at=now.isoformat())


@get("/api/v1/platform/key", tags=["platform"])
async def platform_key(platform: Identity) -> dict[str, str]:
    """The platform's public keys: verify receipts, tree heads and opening records with them."""
    pub = platform.public()
    return {"sign_pub": b64u_encode(pub.sign_pub), "enc_pub": b64u_encode(pub.enc_pub)}


class OrganizationOut(msgspec.Struct):
    id: int
    name: str
    uscc: str
    sme: bool


class OrganizationPage(msgspec.Struct):
    items: list[OrganizationOut]
    total: int
    limit: int
    offset: int


@get(
    "/api/v1/organizations",
    tags=["parties"],
    guards=[requires(Role.STAFF, Role.SUPERVISOR, Role.TENDERER, Role.AGENCY)],
)
async def organizations(
    db_session: AsyncSession,
    q: Annotated[str, Parameter(max_length=100)] = "",
    limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    offset: Annotated[int, Parameter(ge=0, le=MAX_ID)] = 0,
) -> OrganizationPage:
    """The organization directory: name contains `q` (literally: `%` and `_` are no wildcards)
    or the USCC (统一社会信用代码) starts with it; ordered by name, with the total."""
    found = await parties.search_organizations(db_session, q, limit=limit, offset=offset)
    return OrganizationPage(
        items=[OrganizationOut(o.id, o.name, o.uscc, o.sme) for o in found.rows],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


ROUTES = [KeysApi, platform_key, organizations, *claims_api.ROUTES]
