"""The hash before the first audit event."""

GENESIS = "0" * 64
