"""Announcements: the public records each lot transition produces."""
