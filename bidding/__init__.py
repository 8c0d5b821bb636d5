"""Bidding: participation, sealed submission, the opening, the hall, and the party's client."""
