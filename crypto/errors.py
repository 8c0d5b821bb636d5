"""Error hierarchy of the crypto package.

Every failure raised by :mod:`crypto` derives from :class:`CryptoError`, so callers can
catch one class; the subclasses let them tell *why* (and tests assert on them).
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by the crypto package."""


class ParameterError(CryptoError, ValueError):
    """The caller passed an argument that is out of range or of the wrong shape."""


class EncodingError(CryptoError, ValueError):
    """A value could not be encoded or decoded (canonical JSON, base64url, hex)."""


class KeyFileError(CryptoError):
    """An identity key file could not be decrypted or parsed."""


class SignatureError(CryptoError):
    """An Ed25519 signature did not verify."""


class CertificateError(SignatureError):
    """A platform certificate over a party's keys is malformed or not genuine."""


class ReceiptError(CryptoError):
    """A submission receipt is malformed or its signature does not verify."""


class ProofError(CryptoError):
    """A Merkle inclusion or consistency proof does not verify."""


class TreeHeadError(ProofError):
    """A signed tree head is malformed or its signature does not verify."""


class CustodyError(CryptoError):
    """Opening-key custody failed: bad share, too few shares, or tampered bundle."""


class BundleError(CryptoError):
    """A sealed-content bundle is malformed, truncated or does not match its manifest."""


class EnvelopeError(CryptoError):
    """A sealed envelope is malformed, does not authenticate, or is not the one expected."""


class HeaderError(EnvelopeError):
    """The envelope header cannot be parsed (bad magic, version, lengths, truncation)."""


class HeaderMACError(EnvelopeError):
    """The header MAC does not match: the header was altered after sealing."""


class NoStanzaError(EnvelopeError):
    """The envelope has no recipient stanza for the given private key."""


class StanzaError(EnvelopeError):
    """A stanza addressed to this key did not unwrap (tampered stanza or header fields)."""


class EnvelopeMismatchError(EnvelopeError):
    """The envelope is authentic-looking but for another lot, bidder or version."""


class PayloadError(EnvelopeError):
    """The payload does not authenticate."""


class TruncatedError(PayloadError):
    """The payload ends before its final chunk."""


class ChunkAuthError(PayloadError):
    """A payload chunk failed AES-GCM authentication (altered, reordered, or dropped)."""


class TrailingDataError(PayloadError):
    """Bytes follow the authenticated final chunk."""
