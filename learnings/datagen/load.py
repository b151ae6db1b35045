"""The load behind manage.py generate_data: people and teams from Python (a few thousand rows),
everything else set-based in PostgreSQL (INSERT … SELECT over generate_series), with every
random choice a hash of the row number and the seed, so the same arguments give the same data.

Secondary indexes, keys and foreign keys of the filled tables are dropped first and rebuilt from
their own definitions at the end, all in one transaction: a load that fails leaves the database
as it was.
"""

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import OperationalError, connection, transaction

from accounts.models import Membership, Role, Team, User, team_name_key

from . import safety
from . import tables as schema_tools
from .incident_steps import BRAND_BASE, FAMOUS, FOUNDING_TEAMS, OWN_SHARE, YEARS_DAYS, IncidentSteps
from .learning_steps import LearningSteps
from .vocabulary import (
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    TEAM_UNITS,
    TIMEZONES,
    Vocabulary,
    organization_names,
    organization_slug,
    weighted,
)

LOCK_NOT_AVAILABLE = "55P03"
LOCK_TIMEOUT_SECONDS = 10
TEMP_TABLES = ["gd_team", "gd_sentence", "gd_title", "gd_ltitle", "gd_atitle", "gd_name", "gd_i",
               "gd_org", "gd_a", "gd_link", "gd_src", "gd_pos", "gd_libseq", "gd_l"]


@dataclass(frozen=True)
class Plan:
    """What to generate."""

    teams: int
    incidents: int
    library_share: float = 0.75
    seed: int = 1

    @property
    def names(self) -> int:
        """How many organisation names the long tail draws from."""
        return max(2_000, self.incidents // 4, BRAND_BASE + 3 * self.teams + 1)

    @property
    def learnings(self) -> int:
        return max(2 * self.teams, self.incidents // 20)

    def library_odds(self) -> tuple[float, float]:
        """(own, external): the chance that an own / another organisation's incident is in
        the library. Teams share others' failures more readily than their own; the overall
        expected share is library_share."""
        share = self.library_share
        external = min(1.0, share * 1.16)
        own = (share - (1 - OWN_SHARE) * external) / OWN_SHARE
        return max(0.0, min(1.0, own)), external


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    replaced: bool = False
    logins: list[tuple[str, str, str]] = field(default_factory=list)


class Load(IncidentSteps, LearningSteps):
    """One run of generate_data: check, load, rebuild, mark; then vacuum."""

    def __init__(self, plan: Plan, *, log: Callable[[str], None] = lambda _: None):
        self.plan = plan
        self.log = log
        self.t = schema_tools.tables()
        self.report = Report()
        self.now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        self.rng = random.Random(plan.seed)

    # -- running ---------------------------------------------------------------------------

    def run(self) -> Report:
        try:
            self.load()
        except OperationalError as error:
            if getattr(error.__cause__, "pgcode", None) == LOCK_NOT_AVAILABLE:
                raise safety.Refused(
                    f"Another session is using this database (its tables stayed locked for "
                    f"{LOCK_TIMEOUT_SECONDS} s); nothing was changed. Stop it and run "
                    "generate_data again.") from None
            raise
        with connection.cursor() as cursor:
            self.cursor = cursor
            self.step("vacuum and analyze", self.vacuum)
        return self.report

    def load(self) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            self.cursor = cursor
            self.report.replaced = safety.check(cursor, self.t)
            self.step("prepare", self.prepare)
            saved = schema_tools.read_schema(cursor, self.t.all())
            self.step("drop indexes and constraints", lambda: schema_tools.drop(cursor, saved))
            self.step("people and teams", self.people)
            self.step("vocabulary", self.vocabulary)
            self.step("incidents: choices", self.incident_choices)
            self.step("organisations", self.organizations)
            self.step("incidents: attributes", self.incident_attributes)
            self.step("incidents", self.incidents)
            self.step("causes and factors", self.causes_and_factors)
            self.step("timelines", self.timelines)
            self.step("sources", self.sources)
            self.step("learnings", self.learnings)
            self.step("action items", self.action_items)
            self.step("history", self.history)
            self.step("sequences", self.sequences)
            self.step("indexes and constraints",
                      lambda: schema_tools.rebuild(cursor, saved, log=self.log))
            safety.mark(cursor, teams=self.plan.teams, incidents=self.plan.incidents,
                        library_share=self.plan.library_share, seed=self.plan.seed)
            self.step("counts", self.count)

    def step(self, label: str, function: Callable[[], None]) -> None:
        start = time.monotonic()
        self.log(f"{label}…")
        function()
        took = time.monotonic() - start
        self.report.timings.append((label, took))
        self.log(f"{label}: {took:.1f} s")

    def sql(self, statement: str, params: Sequence | None = None) -> None:
        self.cursor.execute(statement, params)

    # -- steps -----------------------------------------------------------------------------

    def prepare(self) -> None:
        t, seed = self.t, self.plan.seed
        self.sql("SET LOCAL TIME ZONE 'UTC'")
        self.sql("SET LOCAL synchronous_commit = off")
        self.sql("SET LOCAL work_mem = '256MB'")
        self.sql("SET LOCAL maintenance_work_mem = '1GB'")
        self.sql("SET LOCAL max_parallel_maintenance_workers = 2")
        # Someone reading the database (a benchmark) holds locks the load must wait for, and
        # while it waits every later reader queues behind it: give up instead.
        self.sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")
        if self.report.replaced:
            self.sql(f"TRUNCATE {', '.join(t.all())} RESTART IDENTITY CASCADE")
            self.sql("TRUNCATE django_session")
        # Dropped at commit; dropped here too for a second load in one transaction (tests).
        self.sql(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}")
        self.sql(f"""CREATE OR REPLACE FUNCTION pg_temp.gd_u(n bigint, salt integer)
            RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT (hashint8extended(n, {seed}::bigint * 1000003 + salt)
                    & 9007199254740991)::float8 / 9007199254740992 $$""")
        self.sql("""CREATE OR REPLACE FUNCTION pg_temp.gd_tail(id bigint) RETURNS text
            LANGUAGE sql IMMUTABLE AS $$
            SELECT substr('abcdefghijklmnopqrstuvwxyz', 1 + (hashint8(id) & 1023) % 26, 1)
                || string_agg(substr('0123456789abcdefghijklmnopqrstuvwxyz',
                                     1 + ((id * 2654435761 % 78364164096)
                                          / (36::bigint ^ k)::bigint % 36)::int, 1), ''
                              ORDER BY k)
            FROM generate_series(0, 6) k $$""")

    def people(self) -> None:
        """Teams joined over the ten years (5% at the start); each has a manager (two in one
        team in five), one to six members and a viewer, with unusable passwords."""
        plan, rng, now = self.plan, self.rng, self.now
        names = organization_names(plan.names)
        teams, users, memberships, meta = [], [], [], []
        keys, slugs = set(), set()
        user_id = 0
        unusable = make_password(None)
        for k in range(1, plan.teams + 1):
            x = max(0.0, ((k - 1) / plan.teams - FOUNDING_TEAMS) / (1 - FOUNDING_TEAMS))
            created = now - dt.timedelta(days=YEARS_DAYS * (1 - x))
            brand = names[BRAND_BASE + (k - 1) * 3]
            name = f"{brand} {TEAM_UNITS[k % len(TEAM_UNITS)]}"
            if team_name_key(name) in keys:
                name = f"{name} {k}"
            keys.add(team_name_key(name))
            slug = organization_slug(name)[:50]
            if slug in slugs:
                slug = f"{slug[:45]}-{k}"
            slugs.add(slug)
            zone = weighted(rng, TIMEZONES)
            teams.append(Team(id=k, name=name, slug=slug, timezone=zone,
                              digest_weekday=rng.randrange(5), digest_hour=rng.choice([8, 9, 10]),
                              created_at=created))
            roles = ([Role.MANAGER] * (2 if k % 5 == 0 else 1)
                     + [Role.MEMBER] * rng.randint(1, 6) + [Role.VIEWER])
            first = user_id + 1
            for i, role in enumerate(roles):
                user_id += 1
                given, family = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                joined = created + dt.timedelta(minutes=i)
                users.append(User(
                    id=user_id, password=unusable, display_name=f"{given} {family}",
                    email=f"{given}.{family}.{user_id}@{safety.GENERATED_DOMAIN}".lower(),
                    timezone=zone, date_joined=joined, is_active=True))
                memberships.append(Membership(
                    id=user_id, user_id=user_id, team_id=k, role=role, created_at=joined,
                    receives_digest=role == Role.MANAGER))
            writers = sum(1 for r in roles if r != Role.VIEWER)
            meta.append((k, first, writers, BRAND_BASE + (k - 1) * 3))
        Team.objects.bulk_create(teams, batch_size=2000)
        User.objects.bulk_create(users, batch_size=2000)
        Membership.objects.bulk_create(memberships, batch_size=2000)
        self.sql("""CREATE TEMP TABLE gd_team ON COMMIT DROP AS
            SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::int[])
                AS m(id, first_user, writers, brand)""",
                 [[m[0] for m in meta], [m[1] for m in meta], [m[2] for m in meta],
                  [m[3] for m in meta]])
        self.sql("ALTER TABLE gd_team ADD PRIMARY KEY (id)")
        self.names = names
        # Team 1 is the busiest (the oldest teams log most): one person of each role there.
        emails = {user.id: user.email for user in users}
        for role in (Role.MANAGER, Role.MEMBER, Role.VIEWER):
            first_of_role = next(m for m in memberships if m.team_id == 1 and m.role == role)
            self.report.logins.append((teams[0].slug, role, emails[first_of_role.user_id]))

    def vocabulary(self) -> None:
        plan = self.plan
        vocab = Vocabulary(plan.seed)
        self.sentence_pool = max(2_000, min(100_000, plan.incidents // 10))
        self.title_pool = max(1_000, min(50_000, plan.incidents // 20))
        pools = {
            "gd_sentence": vocab.sentences(self.sentence_pool),
            "gd_title": vocab.phrases(self.title_pool),
            "gd_ltitle": vocab.phrases(max(500, min(20_000, plan.learnings // 5)), 4, 10),
            "gd_atitle": vocab.phrases(2_000, 3, 8),
        }
        for table, texts in pools.items():
            self.sql(f"CREATE TEMP TABLE {table} ON COMMIT DROP AS SELECT (k - 1)::int AS k, s "
                     "FROM unnest(%s::text[]) WITH ORDINALITY AS p(s, k)", [texts])
            self.sql(f"ALTER TABLE {table} ADD PRIMARY KEY (k)")
        self.pool_size = {table: len(texts) for table, texts in pools.items()}
        rng = random.Random(plan.seed + 1)
        names = self.names
        slugs = [organization_slug(name) for name in names]
        industries = [rng.choice(INDUSTRIES) for _ in names]
        aliases = ["".join(word[0] for word in name.split()) if i < FAMOUS else ""
                   for i, name in enumerate(names)]
        self.sql("""CREATE TEMP TABLE gd_name ON COMMIT DROP AS
            SELECT (k - 1)::int AS name_id, name, slug, industry, alias
            FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])
                 WITH ORDINALITY AS p(name, slug, industry, alias, k)""",
                 [names, slugs, industries, aliases])
        self.sql("ALTER TABLE gd_name ADD PRIMARY KEY (name_id)")

    def sequences(self) -> None:
        """Identity columns continue after the generated ids."""
        self.sql("""SELECT table_name, column_name FROM information_schema.columns
                    WHERE is_identity = 'YES' AND table_schema = current_schema()
                      AND table_name = ANY(%s)""", [self.t.all()])
        for table, column in self.cursor.fetchall():
            self.sql(f"""SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                                       coalesce(max({column}), 0) + 1, false) FROM {table}""")

    def count(self) -> None:
        for name, table in self.t.__dict__.items():
            self.sql(f"SELECT count(*) FROM {table}")
            self.report.counts[name] = self.cursor.fetchone()[0]

    def vacuum(self) -> None:
        """Sets hint bits and the visibility map, and gives the planner fresh statistics, so
        the first benchmark round meets the same tables as the last. Inside a caller's
        transaction (tests) VACUUM cannot run: statistics only."""
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for table in self.t.all():
            self.sql(f"{command} {table}")
