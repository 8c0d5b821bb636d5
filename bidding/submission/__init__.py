"""Sealed submission and receipts."""
