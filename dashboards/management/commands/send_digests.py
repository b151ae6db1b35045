"""Send the weekly digest by hand, with the same service as the hourly run.

    manage.py send_digests                       every team's latest due week
    manage.py send_digests --team comms          one team
    manage.py send_digests --week 2026-11-16     the week named by that Monday
    manage.py send_digests --dry-run             say what would be sent to whom; claim nothing

A week already sent to someone is not sent to them again, however often this runs.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Team
from common.dates import EARLIEST_DATE
from dashboards import services
from dashboards.periods import read_iso_date
from dashboards.schedule import latest_week, period_start, week_label, week_named


def monday(text: str) -> dt.date:
    day = read_iso_date(text)
    if day is None:
        raise CommandError(f"--week {text}: give a date as YYYY-MM-DD.")
    if day.weekday() != 0:
        raise CommandError(f"--week {text}: give the Monday that names the week, e.g. "
                           f"{day - dt.timedelta(days=day.weekday())}.")
    if day < EARLIEST_DATE:
        raise CommandError(f"--week {text}: Misfire has digests from 1990 on.")
    # No team's today is later than this (UTC+14): a week from then has started nowhere (and
    # a week at the calendar's end would overflow its dates).
    if day > (timezone.now() + dt.timedelta(hours=14)).date():
        raise CommandError(f"--week {text}: that week has not started yet.")
    return day


class Command(BaseCommand):
    help = "Send the weekly digest of every team (or one), for its latest due week or a given one."

    def add_arguments(self, parser):
        parser.add_argument("--team", metavar="SLUG", help="Only this team.")
        parser.add_argument("--week", metavar="YYYY-MM-DD",
                            help="The Monday that names the week (default: the latest due).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Print what would be sent to whom, claiming nothing.")

    def handle(self, *args, team=None, week=None, dry_run=False, **options):
        teams = Team.objects.order_by("slug")
        if team is not None:
            # No slug holds a NUL (PostgreSQL cannot even compare one).
            teams = teams.filter(slug=team) if "\x00" not in team else teams.none()
            if not teams.exists():
                raise CommandError(f"--team {team}: no team has this slug.")
        # An empty --week (a script's unset variable) is refused, not read as "the latest".
        named = monday(week) if week is not None else None
        now = timezone.now()
        unfinished = []
        for each in teams:
            period = week_named(each, named) if named else latest_week(each, now)
            label = week_label(period)
            due = period.end + dt.timedelta(days=1)
            if due > each.today():
                self.stdout.write(f"{each.slug}: the week of {label} ends on {period.end:%-d %B}; "
                                  f"its digest is due on {due:%-d %B %Y}, not yet.")
                continue
            if dry_run:
                plan = services.digest_plan(team=each, period=period)
                self.stdout.write(f"{each.slug}: week of {period_start(period)} ({label}), "
                                  f"{len(plan)} recipient(s)")
                for planned in plan:
                    self.stdout.write(f"  {planned.email}: {planned.action}")
                continue
            result = services.digest_send(team=each, period=period)
            self.stdout.write(
                f"{each.slug}: week of {period_start(period)} ({label}): sent {len(result.sent)}, "
                f"skipped {len(result.skipped)}, failed {len(result.failed)}, "
                f"already done {result.passed}")
            for email in result.failed:
                self.stdout.write(f"  failed: {email}")
            if result.transient_error:
                unfinished.append(f"{each.slug} ({result.transient_error})")
        if unfinished:
            raise CommandError("The mail server did not take every email: "
                               + "; ".join(unfinished)
                               + ". The rest stay claimed; run this again to send them.")
