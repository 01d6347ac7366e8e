"""Writes of subscriptions and their deliveries: keyword-only, explicit actor, audited."""
