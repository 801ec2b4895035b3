"""A fresh database per run on a PostgreSQL cluster (the one scripts/lib/postgres.sh
starts, or any other), so runs never see each other's rows. Uses psql, which reads the
same `postgres://user@host/db?host=/socket/dir` URLs Auris does: no Python driver needed.
"""
import subprocess
import urllib.parse
import uuid


def psql(url, sql):
    """Runs `sql` on `url`; its rows as `-At -F,` text (unaligned, comma-separated)."""
    result = subprocess.run(["psql", "-X", "-q", "-At", "-F,", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        # The URL may carry a password: the error names the database, never the URL.
        raise SystemExit(f"psql on database {database_name(url)} failed: {result.stderr.strip()}")
    return result.stdout


def database_name(url):
    return urllib.parse.urlsplit(url).path.lstrip("/") or "postgres"


def fresh_database(url, prefix):
    """Creates an empty database named `prefix_<random>` on `url`'s cluster; its URL
    (same user, host and options, only the database differs)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    psql(url, f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + name))


def drop_database(url, fresh_url):
    """Drops the database `fresh_url` names, connected through `url`; sessions still
    open on it (a killed run's leftovers) are ended first."""
    psql(url, f'DROP DATABASE IF EXISTS "{database_name(fresh_url)}" WITH (FORCE)')
