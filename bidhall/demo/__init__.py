"""Demo data and the end-to-end walking skeleton, driven through the real services.

Everything here is what users would do, done by a script: staff register and publish,
bidders seal on "their machine" and submit, the scheduler opens, custodians release shares,
the lot is ranked, publicised and awarded. Nothing is hard-coded but the inputs.

accounts: centers, parties, users and their key files (seed); steps: one tender's building
blocks, also used by tests and benches; history: completed tenders (seed_history); live:
the sandbox lot still ahead of its opening (seed_live); skeleton: `bidhall demo`.
"""

from __future__ import annotations

from bidhall.demo.accounts import (
    BIDDERS,
    CENTERS,
    CUSTODIANS_PER_CENTER,
    DEMO_PASSWORD,
    TENDERERS,
    demo_identity,
    demo_uscc,
    demo_user,
    key_path,
    seed,
)
from bidhall.demo.history import HISTORY, seed_history
from bidhall.demo.live import LIVE, LIVE_ACCELERATOR, sandbox_deadline, seed_live
from bidhall.demo.skeleton import walking_skeleton
from bidhall.demo.steps import (
    LotPlanDemo,
    Say,
    evaluate_and_award,
    register,
    register_and_publish,
    release_shares,
    submit_bids,
)

__all__ = [
    "BIDDERS",
    "CENTERS",
    "CUSTODIANS_PER_CENTER",
    "DEMO_PASSWORD",
    "HISTORY",
    "LIVE",
    "LIVE_ACCELERATOR",
    "TENDERERS",
    "LotPlanDemo",
    "Say",
    "demo_identity",
    "demo_uscc",
    "demo_user",
    "evaluate_and_award",
    "key_path",
    "register",
    "register_and_publish",
    "release_shares",
    "sandbox_deadline",
    "seed",
    "seed_history",
    "seed_live",
    "submit_bids",
    "walking_skeleton",
]
