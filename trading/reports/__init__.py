"""Savings and statistics computed from totals."""
