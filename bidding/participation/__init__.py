"""Before sealing: registration, documents, questions, amendments, bid security."""
