"""Agreements between principals, responsibility disputes on plans, SIP leads and fixed SIP
times (issue 13)."""
