"""Report rows whose dates fall outside common.dates' ranges (stored before they were refused).

Everything is compared in the database and shown as text cast there: a BC timestamp fetched
into Python crashes psycopg2, which is the very harm being looked for. Exits with status 1
when it finds any, so a deploy step or cron can alert.

It lives in learnings because it reads incidents and learnings alike (learnings may import
incidents, not the other way round).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from common.dates import EARLIEST_DATE, EARLIEST_DATETIME, latest_planned_date
from incidents.models import Incident, IncidentSource, TimelineEvent
from learnings.models import ActionItem, Learning

PAST_DATE, PAST_TIME, PLANNED = "past date", "past time", "planned date"

# (what to call a row, model, its fields by kind, the fields that name the row)
CHECKS = [
    ("incident", Incident, {"occurred_on": PAST_DATE, "detected_at": PAST_TIME,
                            "resolved_at": PAST_TIME, "first_response_at": PAST_TIME},
     ("public_id", "team__slug")),
    ("timeline event", TimelineEvent, {"at": PAST_TIME}, ("pk", "incident__public_id")),
    ("source link", IncidentSource, {"captured_at": PAST_TIME},
     ("pk", "incident__public_id")),
    ("learning", Learning, {"review_on": PLANNED}, ("public_id", "team__slug")),
    ("action item", ActionItem, {"due_on": PLANNED}, ("public_id", "learning__public_id")),
]


def _out_of_range(field: str, kind: str) -> Q:
    # Tomorrow in UTC is today somewhere (UTC+14): only later dates are surely in the future.
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    if kind == PAST_DATE:
        return Q(**{f"{field}__lt": EARLIEST_DATE}) | Q(**{f"{field}__gt": tomorrow})
    if kind == PAST_TIME:
        return (Q(**{f"{field}__lt": EARLIEST_DATETIME})
                | Q(**{f"{field}__gt": timezone.now() + dt.timedelta(minutes=5)}))
    return (Q(**{f"{field}__lt": EARLIEST_DATE})
            | Q(**{f"{field}__gt": latest_planned_date(tomorrow)}))


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


def find_bad_dates() -> list[str]:
    """One line per stored value out of range, in current rows and their history."""
    found = []
    for label, model, fields, names in CHECKS:
        tables = [(label, model, names)]
        if hasattr(model, "history"):
            history = model.history.model
            tables.append((f"history of {label}", history,
                           ("history_id", *[n for n in names if "__" not in n])))
        for table_label, table, row_names in tables:
            for field, kind in fields.items():
                if not _has_field(table, field):
                    continue
                rows = (table._default_manager.filter(_out_of_range(field, kind))
                        .annotate(as_text=Cast(field, TextField()))
                        .order_by("pk").values_list(*row_names, "as_text"))
                for *ids, value in rows:
                    found.append(f"{table_label} {' / '.join(map(str, ids))}: "
                                 f"{field} = {value} (outside the {kind} range)")
    return found


class Command(BaseCommand):
    help = ("Report incidents, timeline events, sources, learnings and action items (and their "
            "history) whose dates fall outside the accepted ranges. Exits 1 when any are found.")

    def handle(self, *args, **options):
        found = find_bad_dates()
        for line in found:
            self.stdout.write(line)
        if found:
            raise CommandError(f"{len(found)} stored date(s) outside the accepted ranges.")
        self.stdout.write("Every stored date is within the accepted ranges.")
