"""Accounts, sign-in with throttling, web sessions and API tokens, who is asking."""
