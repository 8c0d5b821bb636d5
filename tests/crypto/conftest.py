"""Shared fixtures for the crypto tests: small, test-only chunk sizes keep attacks fast."""

from __future__ import annotations

import pytest

from crypto.keys import Identity, generate_identity, x25519_generate

TEST_CHUNK = 256
TEST_MIN_CHUNK = 64


@pytest.fixture(scope="session")
def opening_keys() -> tuple[bytes, bytes]:
    return x25519_generate()


@pytest.fixture(scope="session")
def bidder_keys() -> tuple[bytes, bytes]:
    return x25519_generate()


@pytest.fixture(scope="session")
def platform() -> Identity:
    return generate_identity()
