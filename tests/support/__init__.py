"""One copy of test support: clients, CLI runner, browser."""
