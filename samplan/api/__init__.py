"""The REST API: /api/v1/. Endpoints parse, call the same selectors and services as the pages,
and answer; the policy in samplan.authz decides, as everywhere else."""
