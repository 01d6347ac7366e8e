"""`make bench`: Samplan measured against a floor.

- `floor.py`, `floor_sql.py`, `serve_floor.py`: the floor, a bare WSGI app (psycopg 3, no
  Django) doing what an audited read must do: select the plan, insert an audit row, commit;
  served by gunicorn with the settings `samplan serve` uses.
- `pages.py`: server-side p50/p95 and query counts of Samplan's pages, in process (Django).
- `load.py`: throughput over loopback (wrk, a second process) at 1, 16 and 64 connections
  for the audited FHIR `CarePlan/{id}` read, the REST plan read and the floor; worker RSS.
- `run.py`: the whole run (a generated world on PostgreSQL and SQLite), the JSON in
  `bench/results/latest.json` and the Markdown table in docs/performance.md.
"""
