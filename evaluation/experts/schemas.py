"""Request bodies of the expert pool and committee routes."""

from __future__ import annotations

from typing import Annotated

import msgspec

from trading.kernel.bodies import JsonBody

Specialty = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][0-9A-Z]{1,11}$")]


class DemandIn(msgspec.Struct, forbid_unknown_fields=True):
    specialty: Specialty
    count: Annotated[int, msgspec.Meta(ge=1, le=99)]


class DrawIn(JsonBody, forbid_unknown_fields=True):
    """Experts per specialty (drawn in this order) and the tenderer's representatives."""

    demand: Annotated[list[DemandIn], msgspec.Meta(min_length=1, max_length=20)]
    representatives: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0


class DeclineIn(JsonBody, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$")]
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=500)]


class ImportOut(msgspec.Struct):
    created: int
    updated: int


class SeatedOut(msgspec.Struct):
    seated: list[str]
