"""Figures for managers: does coordination work? (issue 13).

Computed over the plans an organisation takes part in and its own units, scoped by the policy
(`samplan.authz.policy`), with small cells protected (`protection.py`). Nothing here identifies a
person: the figures are counts, durations and shares.
"""
