"""The opening: one entry point for every caller, custody release, decryption, record."""
