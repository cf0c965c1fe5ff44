"""``make bench``: figures users feel, each next to its target and, for timings, a baseline
measured in the same run (a ratio is stable on a noisy machine; an absolute time is not).

Production settings (DEBUG off) on PostgreSQL (a fresh ``seedance_bench`` database on the
local server, or DATABASE_URL when set; SQLite only when no PostgreSQL answers), with
a 25-member workspace of 100,000 seeded clips in 40 projects over a month. Ends with one
line per figure: ``name: value (target …) ok|MISSED``.
BENCH_ONLY=gallery,load,… runs some sections only.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="seedance-bench-"))
LOCAL_PG = "postgres://postgres@127.0.0.1:5432"


def _database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    try:
        import psycopg

        with psycopg.connect(f"{LOCAL_PG}/postgres", autocommit=True, connect_timeout=3) as pg:
            pg.execute("DROP DATABASE IF EXISTS seedance_bench WITH (FORCE)")
            pg.execute("CREATE DATABASE seedance_bench")
        return f"{LOCAL_PG}/seedance_bench"
    except Exception as exc:  # noqa: BLE001 - any failure means: no local PostgreSQL
        print(f"PostgreSQL not reachable ({exc}); using SQLite", flush=True)
        return f"sqlite:///{WORK / 'bench.sqlite3'}"


os.environ.update(
    DATABASE_URL=_database_url(),
    MEDIA_ROOT=str(WORK / "media"),
    DEBUG="0",
    SECRET_KEY=secrets.token_urlsafe(50),
    ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
    DJANGO_SETTINGS_MODULE="studio.settings",
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from benchmarks import (  # noqa: E402
    browser,
    budget,
    campaigns,
    exports,
    finishing,
    fleet,
    gallery,
    load,
    upload,
    usage,
)

RESULTS: list[str] = []


def report(name: str, value: str, target: str, ok: bool) -> None:
    line = f"{name}: {value} (target {target}) {'ok' if ok else 'MISSED'}"
    RESULTS.append(line)
    print(line, flush=True)


SECTIONS: dict[str, Callable[[], None]] = {
    "gallery": lambda: gallery.figures(report),
    "upload": lambda: upload.figures(report),
    "browser": lambda: browser.figures(report),
    "load": lambda: load.figures(report, WORK),
    "fleet": lambda: fleet.figures(report, WORK),
    "usage": lambda: usage.figures(report),
    "budget": lambda: budget.figures(report),
    "finishing": lambda: finishing.figures(report, WORK),
    "campaigns": lambda: campaigns.figures(report),
    "exports": lambda: exports.figures(report, WORK),
}


def main() -> None:
    db = os.environ["DATABASE_URL"].split("@")[-1]
    print(f"Seedance Studio benchmarks (database {db}, work dir {WORK})\n", flush=True)
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_generations", count=10, user="small", stdout=quiet)
        call_command(
            "seed_generations",
            count=100_000,
            user="bench",
            members=25,
            projects=40,
            days=30,
            stdout=quiet,
        )
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    for name, section in SECTIONS.items():
        if only and name not in only:
            continue
        try:
            section()
        except Exception as exc:  # one broken figure must not hide the others
            report(name, f"error {type(exc).__name__}: {exc}", "measured", False)
    print("\nSummary")
    for line in RESULTS:
        print(line)


if __name__ == "__main__":
    main()
