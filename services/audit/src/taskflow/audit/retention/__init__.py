"""Retention: the policy, legal holds, and the purge that keeps the chain verifiable."""
