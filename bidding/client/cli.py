"""The bidder's and custodian's client: `bidhall keys|bid|receipt|custody|audit …`.

Runs on the party's own machine. Private keys stay in the passphrase-protected key file;
the server only ever sees public keys, sealed envelopes, signatures and released shares.
Every failure is one line on stderr and exit status 2 (see bidhall.cli.main).

Each command group lives in its own module with its Typer app; importing them here
registers every command, so `bidhall.cli` only needs this module.
"""

from __future__ import annotations

from bidding.client.bid_cli import bid_app, check_receipt
from bidding.client.cli_support import CliError, sidecar
from bidding.client.custody_cli import custody_app
from bidding.client.keys_cli import keys_app
from bidding.client.verify_cli import audit_app, receipt_app

__all__ = [
    "CliError",
    "audit_app",
    "bid_app",
    "check_receipt",
    "custody_app",
    "keys_app",
    "receipt_app",
    "sidecar",
]
