"""bidhall crypto: sealed envelopes, key custody, signatures, receipts, Merkle audit tree.

Pure functions only: no database, no web, nothing imported from trading/bidding/evaluation.
Import from the submodules (``crypto.envelope``, ``crypto.custody``...); this package
re-exports only the error base class so ``import crypto`` stays cheap.
"""

from crypto.errors import CryptoError

__all__ = ["CryptoError"]
