"""The append-only audit log, its Merkle tree and signed heads, refused requests."""
