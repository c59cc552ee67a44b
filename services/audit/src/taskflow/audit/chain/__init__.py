"""The hash chain: canonical JSON, entry hashing, redaction and verification (pure logic)."""
