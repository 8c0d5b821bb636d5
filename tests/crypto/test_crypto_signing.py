import pytest

from crypto.errors import CertificateError, ParameterError, SignatureError
from crypto.keys import Identity, generate_identity
from crypto.signing import certify, sign, verify, verify_certificate


def test_sign_verify(platform: Identity) -> None:
    sig = sign(platform.sign_priv, b"hello")
    assert len(sig) == 64
    verify(platform.sign_pub, b"hello", sig)
    with pytest.raises(SignatureError, match="does not verify"):
        verify(platform.sign_pub, b"hellO", sig)
    with pytest.raises(SignatureError):
        verify(platform.sign_pub, b"hello", sig[:-1] + bytes([sig[-1] ^ 1]))
    with pytest.raises(SignatureError, match="64 bytes"):
        verify(platform.sign_pub, b"hello", sig[:10])
    with pytest.raises(SignatureError):
        verify(generate_identity().sign_pub, b"hello", sig)


def _subject() -> dict[str, str]:
    party = generate_identity().public().to_dict()
    return {
        "party_id": "91110000600037341L",
        "name": "北京某某建设有限公司",
        **party,
        "issued_at": "2026-11-03T08:00:00Z",
    }


def test_certificate_round_trip(platform: Identity) -> None:
    subject = _subject()
    cert = certify(platform.sign_priv, subject)
    assert verify_certificate(cert, platform.sign_pub) == subject


@pytest.mark.parametrize("field", ["party_id", "name", "sign_pub", "enc_pub", "issued_at"])
def test_certificate_tampering(platform: Identity, field: str) -> None:
    cert = certify(platform.sign_priv, _subject())
    replacement = _subject()[field] if field.endswith("pub") else cert["subject"][field] + "0"
    if field == "issued_at":
        replacement = "2027-01-01T00:00:00Z"
    cert["subject"][field] = replacement
    with pytest.raises(CertificateError):
        verify_certificate(cert, platform.sign_pub)


def test_certificate_wrong_platform_and_shape(platform: Identity) -> None:
    cert = certify(platform.sign_priv, _subject())
    with pytest.raises(CertificateError, match="signature invalid"):
        verify_certificate(cert, generate_identity().sign_pub)
    with pytest.raises(CertificateError):
        verify_certificate({**cert, "extra": 1}, platform.sign_pub)
    with pytest.raises(ParameterError):
        certify(platform.sign_priv, {**_subject(), "issued_at": "yesterday"})
