"""Every table of every package, imported once, for Alembic and the test schema."""

from __future__ import annotations

import trading.audit.models
import trading.auth.models
import trading.models  # noqa: F401
from trading.db import Base

metadata = Base.metadata
