"""manage.py generate_data: fill a scratch PostgreSQL database with a realistic installation
(teams, people, incidents, organisations, sources, timelines, learnings, action items and their
history) for benchmarks. It lives in learnings, the later app, because it writes both halves.

    createdb -h 127.0.0.1 -U postgres misfire_gen_1m
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/misfire_gen_1m python manage.py migrate
    DATABASE_URL=… python manage.py generate_data --teams 1000 --incidents 1000000

It refuses any database that holds data people made (learnings.datagen.safety).
"""

from django.core.management.base import BaseCommand, CommandError

from learnings.datagen import Load, Plan, Refused


def share(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = ("Fill an empty PostgreSQL database (or one generate_data made) with N teams and M "
            "incidents, their organisations, sources, timelines, learnings and history.")

    def add_arguments(self, parser):
        parser.add_argument("--teams", type=int, required=True)
        parser.add_argument("--incidents", type=int, required=True)
        parser.add_argument("--library-share", type=share, default=0.75,
                            help="Share of incidents in the shared library (0 to 1).")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, teams, incidents, library_share, seed, verbosity, **options):
        if teams < 1 or incidents < 1:
            raise CommandError("Ask for at least one team and one incident.")
        plan = Plan(teams=teams, incidents=incidents, library_share=library_share, seed=seed)
        log = self.stdout.write if verbosity > 1 else (lambda _: None)
        try:
            report = Load(plan, log=log).run()
        except Refused as refusal:
            raise CommandError(str(refusal)) from None
        if report.replaced:
            self.stdout.write("Replaced the data of an earlier generate_data run.")
        for label, seconds in report.timings:
            self.stdout.write(f"  {label:<26} {seconds:7.1f} s")
        total = sum(seconds for _, seconds in report.timings)
        self.stdout.write(f"  {'total':<26} {total:7.1f} s")
        self.stdout.write("Rows: " + ", ".join(f"{name} {count:,}"
                                                for name, count in report.counts.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Generated {teams:,} teams and {incidents:,} incidents (seed {seed})."))
        self.stdout.write("People of the busiest team (no passwords; set one with "
                          "manage.py changepassword, or log in with a session in tests):")
        for slug, role, email in report.logins:
            self.stdout.write(f"  {slug}  {role:<8} {email}")
