"""manage.py load_demo: the shared library seed, a demo team with its people, own incidents,
the other organisations' incidents it logged, learnings and action items.

Idempotent: running it again changes nothing that is already there. It lives in learnings,
the later app, so that it can load both halves (incidents never import learnings).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from incidents.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_incident_demo
from learnings.demo import load_learning_demo


class Command(BaseCommand):
    help = ("Load the shared library seed and a demo team with three people, its own and "
            "external incidents, learnings and action items.")

    @transaction.atomic
    def handle(self, *args, **options):
        demo = load_incident_demo()
        self.stdout.write(f"Library: {demo.library_created} incidents loaded, "
                          f"{demo.library_existing} already there.")
        self.stdout.write(f"Demo team “{demo.team.name}”: {demo.own_created} own incidents "
                          f"added, {demo.own_existing} already there; "
                          f"{demo.external_created} external incidents added, "
                          f"{demo.external_existing} already there.")
        learnings = load_learning_demo(demo.team, demo.people)
        statuses = ", ".join(f"{count} {status}" for status, count in learnings.by_status.items())
        self.stdout.write(f"Learnings: {learnings.created} added, {learnings.existing} already "
                          f"there ({statuses}); {learnings.action_items_created} action items "
                          f"added, {learnings.overdue} overdue.")
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password: {DEMO_PASSWORD})"))
        for email, _, role in DEMO_PEOPLE:
            self.stdout.write(f"  {role:<8} {email}")
