"""Clarification requests (澄清) and 暗标 anonymity of the committee's view of bids."""
