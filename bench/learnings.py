"""Benchmark: the learnings list, a learning's page, My actions, and the incident page with its
precedents, at a team with many learnings over a large library.

Uses the incidents of bench/list_and_search.py (built first if missing) and adds L learnings
(default 500) to the bench team, each drawn from 6 incidents (2 own, 4 from the library) with
4 action items, in the database that DATABASE_URL names — a scratch database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/misfire_bench \
        .venv/bin/python bench/learnings.py --incidents 20000 --learnings 500 --runs 30

Results are recorded in bench/RESULTS.md.
"""

import argparse
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from list_and_search import build, measure  # noqa: E402  (sets Django up)

from accounts.models import Team, User  # noqa: E402
from incidents.models import Incident  # noqa: E402
from learnings.models import ActionItem, Learning, LearningStatus  # noqa: E402


def build_learnings(user: User, n: int) -> None:
    team = Team.objects.get(slug="bench")
    have = Learning.objects.filter(team=team).count()
    if have >= n:
        return
    rng = random.Random(7)
    own = list(Incident.objects.filter(team=team).values_list("pk", flat=True)[:5000])
    library = list(Incident.objects.filter(visibility="library").values_list("pk", flat=True)
                   [:20000])
    statuses = [LearningStatus.DRAFT, LearningStatus.PROPOSED, LearningStatus.ADOPTED,
                LearningStatus.ADOPTED, LearningStatus.RETIRED]
    now = timezone.now()
    learnings = Learning.objects.bulk_create([
        Learning(team=team, title=f"Learning {i}: check before posting", owner=user,
                 lesson="What we now know. " * 20, practice="What we do now. " * 10,
                 status=statuses[i % 5],
                 adopted_at=now - timedelta(days=rng.randrange(1, 2000)) if i % 5 in (2, 3, 4)
                 else None, created_by=user)
        for i in range(have, n)
    ])
    Link = Learning.incidents.through
    Link.objects.bulk_create([
        Link(learning_id=learning.pk, incident_id=pk)
        for learning in learnings
        for pk in set(rng.sample(own, 2) + rng.sample(library, 4))
    ])
    ActionItem.objects.bulk_create([
        ActionItem(learning=learning, title=f"Action {k}", owner=user, kind="preventive",
                   due_on=timezone.localdate() + timedelta(days=rng.randrange(-60, 60)),
                   done_at=now if k == 0 else None)
        for learning in learnings for k in range(4)
    ])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20000)
    parser.add_argument("--learnings", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    user = build(args.incidents)
    build_learnings(user, args.learnings)
    client = Client()
    client.force_login(user)
    learning = Learning.objects.filter(team__slug="bench").order_by("pk").first()
    incident = learning.incidents.filter(team__slug="bench").first()
    cases = [
        ("learnings list, first page", "/learnings/"),
        ("learnings list, cause filter", "/learnings/?cause=production-slip"),
        ("learnings list, drawn from both", "/learnings/?drawn_from=both"),
        ("learning page", learning.get_absolute_url()),
        ("my actions", "/actions/"),
        ("incident page with precedents", incident.get_absolute_url()),
    ]
    print(f"{connection.vendor}, {Learning.objects.count()} learnings, "
          f"{Incident.objects.count()} incidents, {args.runs} runs each")
    print("| case | median ms | p95 ms |\n|---|---|---|")
    for name, url in cases:
        client.get(url)  # warm up
        median, p95 = measure(client, url, args.runs)
        print(f"| {name} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
