"""Exit 0 when the PostgreSQL server in the given URL answers, 1 otherwise."""

import sys

import psycopg


def main() -> int:
    url = sys.argv[1]
    # Connect to the maintenance database: the test database itself is created by the tests.
    base, _, _name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", connect_timeout=3):
            return 0
    except psycopg.Error:
        return 1


if __name__ == "__main__":
    sys.exit(main())
