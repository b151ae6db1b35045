"""`?format=csv` on a list: the whole filtered result (not one page) as CSV, streamed.

A viewset turns it on by mixing in CsvExportMixin and declaring its columns once:

    class LearningViewSet(CsvExportMixin, ApiViewSet):
        csv_export = CsvExport("learnings", [
            Column("id", "public_id"),
            Column("team", "team__slug"),
            Column("incidents", each(Incident.objects.filter(learnings=OuterRef("pk"))
                                     .order_by("pk").values("public_id"))),
            Link("url", route="learnings:learning-detail"),
        ])

and ApiViewSet.list (api/views.py) answers with the CSV when asked for: the same queryset
(tenancy, filters and order) gives the JSON page or the CSV. Bad filters are found before
that, so they are the same JSON 400 either way.

The CSV:

- a header row of the JSON field names, then one row per object, in the list's order with the
  primary key as the last tie-breaker (the order the pages read it in);
- a value as the JSON shows it: true/false, ISO dates and times (UTC with `Z`), "" for null;
  a list as its items joined with `|` (slugs, ids); a nested object as the one value that
  names it (the declaration says which, e.g. an organisation's slug);
- a cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
  or a carriage return) starts with a single quote, as OWASP advises against CSV injection;
- read with `.values_list()` through a server-side cursor (`iterator(chunk_size=…)`) and sent
  as a StreamingHttpResponse in batches of rows: no model instance or serializer per row, and
  memory stays flat however many rows there are.
"""

import csv
import datetime
import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BooleanField, Expression, ExpressionWrapper, F, Q, Subquery, Value
from django.http import StreamingHttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer

from common.pages import stable_order

CSV = "csv"
MEDIA_TYPE = "text/csv"
# Rows fetched from the server-side cursor at a time, and rows per chunk of the response.
FETCH_ROWS = 2000
BATCH_ROWS = 500
# What a spreadsheet reads as the start of a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "|"


def escaped(text: str) -> str:
    """`text`, with a single quote first when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cells(zone: datetime.tzinfo) -> Callable[[Any], str]:
    """cell(value): one value as a CSV cell (see the module's notes), times shown in `zone`
    (the current time zone, looked up once per file rather than once per cell)."""

    def as_datetime(value: datetime.datetime) -> str:
        # As DRF's DateTimeField shows it: in the current time zone, UTC as "Z".
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def as_list(value: Iterable) -> str:
        return escaped(LIST_SEPARATOR.join("" if item is None else cell(item)
                                           for item in value))

    by_type: dict[type, Callable[[Any], str]] = {
        str: escaped,
        bool: lambda value: "true" if value else "false",
        int: str,
        float: repr,
        uuid.UUID: str,
        datetime.date: datetime.date.isoformat,
        datetime.datetime: as_datetime,
        list: as_list,
        tuple: as_list,
    }

    def cell(value: Any) -> str:
        if value is None:
            return ""
        convert = by_type.get(type(value))
        return escaped(str(value)) if convert is None else convert(value)

    return cell


@dataclass(frozen=True)
class Column:
    """One column: its header (the JSON field's name) and where its value comes from: a
    `values()` lookup ("team__slug"; the name itself by default), an expression (see `each`),
    or a Q (true or false for each row)."""

    name: str
    source: str | Expression | Q | None = None

    def lookup(self) -> tuple[str, Expression | None]:
        """(the name to read it by, the expression to annotate under that name, if any)."""
        if self.source is None:
            return self.name, None
        if isinstance(self.source, str):
            return self.source, None
        alias = f"csv_{self.name}"
        if isinstance(self.source, Q):
            return alias, ExpressionWrapper(self.source, output_field=BooleanField())
        return alias, self.source

    def lookups(self) -> list[tuple[str, Expression | None]]:
        """Every value the column shows (a link with an anchor reads two)."""
        return [self.lookup()]

    def formatter(self, request, cell: Callable[[Any], str]) -> Callable[[Any], str]:
        """The cell from the column's value (a tuple of its values when it reads several)."""
        return cell


@dataclass(frozen=True)
class Link(Column):
    """An absolute link to an object's page: the route, its argument (a UUID or a slug), and
    the lookup that gives the argument's value (the argument's name by default). The route is
    reversed once, with a stand-in, not once per row."""

    route: str = ""
    argument: str = "public_id"
    # A place on the page: (the anchor's text before the value, the values() lookup of the
    # value); ("item-", "public_id") ends the link with "#item-<the row's public_id>".
    fragment: tuple[str, str] | None = None

    def lookup(self) -> tuple[str, Expression | None]:
        return self.source or self.argument, None

    def lookups(self) -> list[tuple[str, Expression | None]]:
        if self.fragment is None:
            return [self.lookup()]
        return [self.lookup(), (self.fragment[1], None)]

    def formatter(self, request, cell: Callable[[Any], str]) -> Callable[[Any], str]:
        for stand_in in (str(uuid.UUID(int=0)), "stand-in-slug"):
            try:
                address = reverse(self.route, kwargs={self.argument: stand_in})
            except NoReverseMatch:
                continue
            before, _, after = request.build_absolute_uri(address).partition(stand_in)
            if self.fragment is None:
                return lambda value: f"{before}{value}{after}"
            anchor = f"{after}#{self.fragment[0]}"
            return lambda values: f"{before}{values[0]}{anchor}{values[1]}"
        raise NoReverseMatch(f"{self.route} takes no UUID or slug {self.argument}.")


ITEM = "csv_item"


class ListSubquery(ArraySubquery):
    """A to-many relation as a list: ARRAY(subquery) in PostgreSQL; in SQLite (the default
    database of `make run`) the subquery's rows gathered by json_group_array in their order
    and read back as a list, each item converted as its field is."""

    sqlite_template = '(SELECT json_group_array("csv_item") FROM (%(subquery)s))'

    def as_sqlite(self, compiler, connection, **extra_context):
        # Annotations it is ordered by are selected too, so that ORDER BY names them:
        # SQLite cannot resolve an outer query's columns two levels up inside ORDER BY (a
        # learning's derived causes), but can in the select list. json_group_array takes
        # the item alone.
        listed = self.copy()  # with its own copy of the query
        query = listed.query
        ordered = {name.lstrip("-") for name in query.order_by
                   if isinstance(name, str)} & set(query.annotations)
        if ordered:
            query.set_annotation_mask(set(query.annotation_select) | ordered)
        return Subquery.as_sql(listed, compiler, connection, template=self.sqlite_template,
                               **extra_context)

    def get_db_converters(self, connection):
        if connection.vendor != "sqlite":
            return super().get_db_converters(connection)
        item = Value(None, output_field=self.query.output_field)
        converters = (connection.ops.get_db_converters(item)
                      + item.output_field.get_db_converters(connection))

        def from_json(value, expression, connection):
            items = json.loads(value) if value else []
            for convert in converters:
                items = [convert(one, item, connection) for one in items]
            return items
        return [from_json]


def each(queryset) -> ListSubquery:
    """A to-many relation as a list (joined with `|` in a cell): `queryset` filtered by
    OuterRef("pk"), ordered as the JSON lists it, with one field in values()."""
    (name,) = queryset.query.values_select
    return ListSubquery(queryset.values(**{ITEM: F(name)}))


@dataclass(frozen=True)
class CsvExport:
    """What a list exports: a name for the file ("incidents") and its columns."""

    name: str
    columns: list[Column] = field(default_factory=list)

    def filename(self) -> str:
        return f"misfire-{self.name}-{timezone.localdate().isoformat()}.csv"

    def rows(self, queryset) -> tuple[list[Callable[[tuple], Any]], Iterator[tuple]]:
        """The queryset's rows as tuples of raw values, in the list's order, each value read
        once however many columns show it; and, for each column, what takes its value (or
        values) from a row."""
        lookups, annotations, places = [], {}, []
        for column in self.columns:
            indexes = []
            for name, expression in column.lookups():
                if name not in lookups:
                    lookups.append(name)
                indexes.append(lookups.index(name))
                if expression is not None:
                    annotations[name] = expression
            places.append(itemgetter(*indexes))
        queryset = stable_order(queryset.prefetch_related(None))
        if annotations:
            queryset = queryset.annotate(**annotations)
        return places, queryset.values_list(*lookups).iterator(chunk_size=FETCH_ROWS)

    def lines(self, queryset, request) -> Iterator[str]:
        """The CSV's text: the header first (before any row is read), then batches of rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([column.name for column in self.columns])
        yield buffer.getvalue()
        cell = cells(timezone.get_current_timezone())
        formatters = [column.formatter(request, cell) for column in self.columns]
        places, rows = self.rows(queryset)
        columns = list(zip(formatters, places, strict=True))
        pending = 0
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow([format_(place(row)) for format_, place in columns])
            pending += 1
            if pending == BATCH_ROWS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        if pending:
            yield buffer.getvalue()

    def response(self, queryset, request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(self.lines(queryset, request),
                                         content_type=f"{MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename()}"'
        return response


class CsvRenderer(BaseRenderer):
    """Lets `?format=csv` (or Accept: text/csv) through DRF's content negotiation on the lists
    that export CSV; CsvExportMixin answers those itself, with a streamed response."""

    media_type = MEDIA_TYPE
    format = CSV
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only reached if a view answers a Response to a CSV request: say so in JSON.
        return JSONRenderer().render(data, renderer_context=renderer_context)


FORMAT_PARAMETER = OpenApiParameter(
    "format", str, OpenApiParameter.QUERY, enum=["json", CSV],
    description="`csv`: the whole filtered list (every page, in the same order) as a CSV "
                "file, streamed: a header row of the JSON field names; lists joined with "
                "`|`; null as an empty cell; cells that a spreadsheet would run as a formula "
                "(starting with =, +, -, @) start with a single quote. Cursor and page size "
                "do not apply.")


LIST_OR_CSV = "A page of the list; with format=csv, the whole list as a CSV file."


def csv_responses(serializer) -> dict:
    """A list's responses for extend_schema: its JSON page, or the CSV file."""
    return {
        (200, "application/json"): OpenApiResponse(serializer, description=LIST_OR_CSV),
        (200, MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR, description=LIST_OR_CSV),
    }


class CsvExportMixin:
    """Gives a viewset's list `?format=csv`: declare `csv_export`; ApiViewSet.list answers
    with it when wants_csv()."""

    csv_export: CsvExport

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list":
            renderers.append(CsvRenderer())
        return renderers

    def wants_csv(self) -> bool:
        return getattr(self.request, "accepted_renderer", None) is not None and \
            self.request.accepted_renderer.format == CSV
