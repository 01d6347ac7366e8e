"""The audit log review and extracts, and the person's own log: pages."""
