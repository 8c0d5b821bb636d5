"""Every table of every package, imported once, for Alembic and the test schema."""

from __future__ import annotations

from bidding import models as bidding_models
from evaluation import models as evaluation_models
from trading import models as trading_models
from trading.audit import models as audit_models
from trading.auth import models as auth_models
from trading.db import Base

# Named so no linter drops an import that only registers tables.
MODEL_MODULES = (trading_models, auth_models, audit_models, bidding_models, evaluation_models)
metadata = Base.metadata
