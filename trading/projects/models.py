"""Projects, their lots and tender documents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from trading.enums import Category, LotState, Method, PriceBasis
from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime
from trading.kernel.errors import ValidationFailed
from trading.projects import windows
from trading.rules import RuleConfigError, get_ruleset

if TYPE_CHECKING:
    from trading.centers.models import Center


class Project(IdMixin, Base):
    __tablename__ = "project"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    center_id: Mapped[int] = mapped_column(BigId, ForeignKey("center.id"), index=True)
    category: Mapped[Category] = mapped_column(String(32))
    method: Mapped[Method] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(String(6))
    tenderer_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    agency_org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organization.id"))
    # Sandbox projects run on an accelerated clock and never enter official statistics.
    sandbox: Mapped[bool] = mapped_column(default=False)
    # Prozorro-style accelerator: rule periods are divided by it (1 for real projects).
    accelerator: Mapped[int] = mapped_column(default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    # What a tender announcement states besides the lots (招标公告: 项目地点, 资格要求, 联系方式).
    location: Mapped[str] = mapped_column(String(200), default="")
    qualification: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    created_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    center: Mapped[Center] = relationship(lazy="raise")
    lots: Mapped[list[Lot]] = relationship(
        back_populates="project", lazy="raise", order_by="Lot.number"
    )


class ProjectCounter(Base):
    """The last project number a center handed out (codes are <center>-<year>-<number>).

    One row per center, incremented in the registering transaction by an upsert: concurrent
    registrations queue on the row (PostgreSQL) or the single writer (SQLite) and each gets
    the next number, where counting the projects would hand two of them the same one.
    """

    __tablename__ = "project_counter"

    center_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("center.id"), primary_key=True, autoincrement=False
    )
    last: Mapped[int]


class Lot(IdMixin, Base):
    """A lot (标段/包): the unit that is tendered, opened, evaluated and awarded."""

    __tablename__ = "lot"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index("ix_lot_state_deadline", "state", "bid_deadline"),
        # The portal's order and keyset cursor (bidding/portal/service.py): latest first.
        Index("ix_lot_deadline_id", "bid_deadline", "id"),
        # A center's lots in the same order: its page seeks here instead of walking every
        # lot's deadline through a join on the project (trading/centers/api.center_lots).
        Index("ix_lot_center_deadline_id", "center_id", "bid_deadline", "id"),
    )

    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("project.id"), index=True)
    # The project's center, copied when the lot is created (a project never changes center).
    center_id: Mapped[int] = mapped_column(BigId, ForeignKey("center.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    budget: Mapped[Decimal]
    control_price: Mapped[Decimal | None]
    price_basis: Mapped[PriceBasis] = mapped_column(String(16), default=PriceBasis.BUDGET)
    bid_security: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    docs_issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    docs_available_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clarification_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # By law the opening happens at the bid deadline, the same moment (法 34).
    bid_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    evaluation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluation_method: Mapped[str] = mapped_column(String(40), default="low_price")
    evaluation_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # 暗标: the committee reads the technical part without knowing whose it is (evaluation/clarify).
    anonymous_technical: Mapped[bool] = mapped_column(default=False)
    # The bidders' decryption window in minutes (电子办法 30); None: the ruleset's
    # decrypt_window_minutes. Fixed on the opening row when the opening starts.
    decrypt_window_minutes: Mapped[int | None]
    state: Mapped[LotState] = mapped_column(String(16), default=LotState.DRAFT)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Opening key: public half (hex) and the custody bundle (only wrapped material).
    opening_pub: Mapped[str | None] = mapped_column(String(128))
    custody: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    award_bid_id: Mapped[int | None] = mapped_column(BigId)
    award_price: Mapped[Decimal | None]
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_reason: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="lots", lazy="raise")

    @property
    def opening_at(self) -> datetime:
        return self.bid_deadline

    @property
    def decrypt_minutes(self) -> int:
        """The bidders' decryption window: the lot's own, else its ruleset's (a center's
        override applies when the opening fixes it; needs `project` loaded)."""
        try:
            ruleset = get_ruleset(self.project.category, self.project.method)
        except RuleConfigError:
            ruleset = None
        return windows.minutes(self.decrypt_window_minutes, ruleset)

    @property
    def reference_price(self) -> Decimal:
        """The amount savings are measured against, as the project declares."""
        if self.price_basis == PriceBasis.CONTROL_PRICE and self.control_price is not None:
            return self.control_price
        return self.budget


CONTENT_TYPE_MAX = 100


class Document(IdMixin, Base):
    """A tender document stored in the blob store by its SHA-256."""

    __tablename__ = "document"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigId)
    content_type: Mapped[str] = mapped_column(
        String(CONTENT_TYPE_MAX), default="application/octet-stream"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @validates("content_type")
    def _fits(self, _key: str, value: str) -> str:
        # The uploader's Content-Type header, kept as sent: one that does not fit the column is
        # refused here (PostgreSQL would fail the statement; SQLite would keep it whole).
        if len(value) > CONTENT_TYPE_MAX:
            n = CONTENT_TYPE_MAX
            raise ValidationFailed(f"content-type: 最长 {n} 个字符 / at most {n} characters")
        return value
