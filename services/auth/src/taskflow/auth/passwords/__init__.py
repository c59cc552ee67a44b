"""Password hashing (argon2id) and the password policy."""
