"""Parties: organizations and their registered keys."""
