"""FHIR Subscriptions: record systems are pushed a notification when a plan they may see
changes (issue 14). Delivery is after commit, retried with backoff, and logged."""
