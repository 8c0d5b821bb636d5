"""Every table of every package, imported once, for Alembic and the test schema."""

from __future__ import annotations

from bidding.hall import models as hall_models
from bidding.opening import models as opening_models
from bidding.participation import models as participation_models
from bidding.submission import models as submission_models
from evaluation.award import models as evaluation_models
from evaluation.clarify import models as clarify_models
from evaluation.experts import models as expert_models
from evaluation.report import models as evaluation_report_models
from evaluation.scoring import models as scoring_models
from trading.announcements import models as announcement_models
from trading.audit import models as audit_models
from trading.auth import models as auth_models
from trading.centers import models as center_models
from trading.kernel.db import Base
from trading.parties import models as party_models
from trading.projects import models as project_models
from trading.reports import models as report_models

# Named so no linter drops an import that only registers tables.
MODEL_MODULES = (
    center_models,
    party_models,
    project_models,
    announcement_models,
    auth_models,
    audit_models,
    participation_models,
    submission_models,
    opening_models,
    hall_models,
    evaluation_models,
    expert_models,
    scoring_models,
    clarify_models,
    evaluation_report_models,
    report_models,
)
metadata = Base.metadata
