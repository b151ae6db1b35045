"""Benchmark: the incident list page and full-text search at library scale.

Builds N incidents (default 20,000; three in four shared in the library) in the database that
DATABASE_URL names — use a scratch database, it is filled, not cleaned — then renders the
list page (first page, last page), a search and a cause filter through the real view with
Django's test client, and reports median and 95th-percentile times.

    createdb -h 127.0.0.1 -U postgres misfire_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/misfire_bench \
        .venv/bin/python bench/list_and_search.py --incidents 20000 --runs 30

Results are recorded in bench/RESULTS.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Membership, Role, Team, User  # noqa: E402
from incidents.models import Incident, Organization, RootCause  # noqa: E402

WORDS = [
    "hashtag", "hijacked", "apology", "campaign", "tweet", "deleted", "intern", "scheduled",
    "post", "tragedy", "anniversary", "backlash", "screenshot", "account", "hacked", "bot",
    "customer", "refund", "viral", "video", "stereotype", "cultural", "agency", "launch",
]


def build(n: int) -> User:
    call_command("migrate", verbosity=0)
    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    other, _ = Team.objects.get_or_create(slug="bench-other", defaults={"name": "Other"})
    user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
        email="bench@example.com", password="bench-password-1")
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": Role.MEMBER})
    have = Incident.objects.filter(team__in=[team, other]).count()
    if have >= n:
        return user
    rng = random.Random(42)
    orgs = [
        Organization.objects.get_or_create(slug=f"brand-{i}", defaults={"name": f"Brand {i}"})[0]
        for i in range(500)
    ]
    causes = list(RootCause.objects.all())
    start = date(2010, 1, 1)
    batch = []
    for i in range(have, n):
        # 40 words: 3 topical ones, the rest from a 5,000-word filler vocabulary, so a
        # two-word query matches a realistic share of the corpus.
        words = " ".join([rng.choice(WORDS) for _ in range(3)]
                         + [f"word{rng.randrange(5000)}" for _ in range(37)])
        batch.append(Incident(
            team=team if i % 2 else other,
            visibility="team" if i % 4 == 1 else "library",
            origin="own" if i % 4 == 1 else "external",
            organization=rng.choice(orgs), title=f"Incident {i}: {rng.choice(WORDS)} "
            f"{rng.choice(WORDS)}", summary=words, platform="twitter",
            occurred_on=start + timedelta(days=rng.randrange(6000)),
            primary_cause=rng.choice(causes), severity=rng.choice(["low", "medium", "high"]),
        ))
        if len(batch) == 2000:
            Incident.objects.bulk_create(batch)
            batch = []
    Incident.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return user


def measure(client: Client, url: str, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    user = build(args.incidents)
    client = Client()
    client.force_login(user)
    visible = Incident.objects.for_user(user).count()
    last_page = (visible + 24) // 25
    cases = [
        ("list, first page", "/incidents/"),
        ("list, last page", f"/incidents/?page={last_page}"),
        ("search 'hashtag apology' (narrow)", "/incidents/?q=hashtag+apology"),
        ("search 'hashtag' (broad)", "/incidents/?q=hashtag"),
        ("search + cause + sort by severity",
         "/incidents/?q=hijacked&cause=participation-hijacked&sort=-severity"),
        ("library, first page", "/library/"),
    ]
    print(f"{connection.vendor}, {visible} incidents visible to the user, {args.runs} runs each")
    print("| case | median ms | p95 ms |\n|---|---|---|")
    for name, url in cases:
        client.get(url)  # warm up
        median, p95 = measure(client, url, args.runs)
        print(f"| {name} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
