"""Who is acting: carried into every service call and recorded in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    ip: str = ""
    center_id: int | None = None
    org_id: int | None = None

    @property
    def role(self) -> str:
        """The role recorded in the audit log: the first, sorted, so it is stable."""
        return sorted(self.roles)[0] if self.roles else "public"

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM = Actor(user_id=None, name="system", roles=frozenset({"system"}))
SCHEDULER = Actor(user_id=None, name="scheduler", roles=frozenset({"system"}))
PUBLIC = Actor(user_id=None, name="public")
