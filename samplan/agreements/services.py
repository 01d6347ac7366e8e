"""Writes of agreements, disputes, SIP leads and SIP times: keyword-only, explicit actor, audited."""
