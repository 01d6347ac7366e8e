"""The statistics pages for managers (issue 13): the figures with their charts and the period
before, the exports of each table and the printable report."""
