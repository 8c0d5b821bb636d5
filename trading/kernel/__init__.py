"""The platform kernel: knows no domain (config, clock, db, blobs, errors, web plumbing, i18n)."""
