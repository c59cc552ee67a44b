"""RS256 signing keys: storage, rotation, JWKS and token minting."""
