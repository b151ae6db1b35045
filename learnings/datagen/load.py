"""The load behind manage.py generate_data: people and teams from Python (a few thousand rows),
everything else set-based in PostgreSQL (INSERT … SELECT over generate_series), with every
random choice a hash of the row number and the seed, so the same arguments give the same data.

Secondary indexes, keys and foreign keys of the filled tables are dropped first and rebuilt from
their own definitions at the end, all in one transaction: a load that fails leaves the database
as it was.
"""

import datetime as dt
import math
import random
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import OperationalError, connection, transaction

from accounts.models import Membership, Role, Team, User, team_name_key
from incidents.models import Factor, RootCause

from . import safety
from . import tables as schema_tools
from .vocabulary import (
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    NEWS_OUTLETS,
    TEAM_UNITS,
    TIMEZONES,
    Vocabulary,
    organization_names,
    organization_slug,
    weighted,
)

YEARS_DAYS = 3650
# Incidents grow by e^GROWTH over the ten years: recent years hold most of them.
GROWTH = 1.5
# Teams joined over the ten years; this share was there from the start.
FOUNDING_TEAMS = 0.05
# Older teams log more: the team of an incident is drawn with this skew among teams existing.
TEAM_SKEW = 1.7
OWN_SHARE = 0.35
FAMOUS = 30
BRAND_BASE = 40

SEVERITIES = [("low", 35), ("medium", 40), ("high", 19), ("critical", 6)]
PLATFORMS = [("twitter", 30), ("facebook", 17), ("instagram", 14), ("tiktok", 10),
             ("linkedin", 6), ("youtube", 5), ("reddit", 4), ("website", 4), ("threads", 3),
             ("tv", 2), ("bluesky", 2), ("mastodon", 1), ("weibo", 1), ("other", 1)]
# By code C01…C13: hijacked hashtags, bad timing and tone-deaf creative dominate.
CAUSE_WEIGHTS = [16, 14, 7, 13, 9, 5, 3, 8, 4, 7, 6, 5, 3]
ACTORS = [("in-house", 35), ("agency", 15), ("intern", 5), ("executive", 6), ("employee", 10),
          ("attacker", 8), ("automation", 8), ("impersonator", 5), ("unknown", 8)]
CONTEXTS = [("tragedy", 30), ("anniversary", 20), ("own-crisis", 20), ("political", 20),
            ("other", 10)]
LEARNING_TEXTS = {
    "retired": ["Superseded by a newer practice.", "The platform changed its rules.",
                "The team that owned it was merged.", "Never followed; replaced."],
}
EVENT_TEXTS = {
    "posted": ["Post published", "The post went out", "Scheduled post published",
               "Video published"],
    "detected": ["Spotted by the social team", "A follower flagged it", "Picked up by "
                 "monitoring", "A journalist asked for comment"],
    "response": ["Public reply acknowledging the problem", "Statement posted",
                 "Reply explaining the fix", "Spokesperson statement"],
    "apology": ["Apology posted", "CEO apologised", "Apology video published",
                "Apology in the replies"],
    "press": ["Covered by national press", "Trade press article", "Picked up by TV news"],
    "fix": ["Post removed and process changed", "Account secured", "Queue paused and "
            "reviewed", "Fix confirmed"],
}
ACTION_KINDS = [("preventive", 60), ("detective", 25), ("corrective", 15)]
# How each platform's posts are addressed; {h} a handle, {num} a number, {code} a short code.
POST_URLS = {
    "twitter": "'https://twitter.com/' || {h} || '/status/' || {num}",
    "facebook": "'https://facebook.com/' || {h} || '/posts/' || {num}",
    "instagram": "'https://instagram.com/p/' || {code}",
    "youtube": "'https://youtube.com/watch?v=' || {code}",
    "tiktok": "'https://tiktok.com/@' || {h} || '/video/' || {num}",
    "linkedin": "'https://linkedin.com/posts/' || {h} || '_' || {code}",
    "reddit": "'https://reddit.com/r/' || {h} || '/comments/' || {code}",
    "threads": "'https://threads.net/@' || {h} || '/post/' || {code}",
    "bluesky": "'https://bsky.app/profile/' || {h} || '.bsky.social/post/' || {code}",
    "mastodon": "'https://mastodon.social/@' || {h} || '/' || {num}",
    "weibo": "'https://weibo.com/' || {num} || '/' || {code}",
    "website": "'https://' || {h} || '.example/news/' || {code}",
}
ROUNDUPS = 200
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


# ---------------------------------------------------------------------------------------------
# SQL helpers


def salt(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x3FFFFFFF


def u(n: str, name: str) -> str:
    """SQL: a uniform number in [0, 1), fixed by the row number n, the seed and the name."""
    return f"pg_temp.gd_u(({n})::bigint, {salt(name)})"


def lit(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def pick(u_expr: str, choices: Sequence[tuple[object, float]], cast: str = "text") -> str:
    """SQL: one of the values, drawn with the given weights by the uniform number u_expr."""
    total = sum(w for _, w in choices)
    bounds, acc = [], 0.0
    for _, weight in choices[:-1]:
        acc += weight
        bounds.append(acc / total)
    values = ", ".join(lit(v) for v, _ in choices)
    thresholds = ", ".join(repr(b) for b in bounds)
    return (f"(ARRAY[{values}]::{cast}[])"
            f"[width_bucket({u_expr}, ARRAY[{thresholds}]::float8[]) + 1]")


def one_of(u_expr: str, values: Sequence[str]) -> str:
    return pick(u_expr, [(v, 1) for v in values])


def uuid(tag: str, n: str, seed: int) -> str:
    return f"md5('{seed}:{tag}:' || ({n})::text)::uuid"


def minutes(u_expr: str, most: int) -> str:
    """SQL: an interval from 1 minute to `most` minutes, log-uniform (many short, few long)."""
    return f"(exp({u_expr} * {math.log(most)}) * interval '1 minute')"


# ---------------------------------------------------------------------------------------------


class Load:
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

    def incident_choices(self) -> None:
        """Who logged each incident, when, about whom, and whether it is shared."""
        plan = self.plan
        own_lib, ext_lib = plan.library_odds()
        m, teams, names = plan.incidents, plan.teams, plan.names
        self.sql(f"""CREATE TEMP TABLE gd_i ON COMMIT DROP AS
            SELECT n, x, created_at, team, own,
                   {u("n", "library")} < CASE WHEN own THEN {own_lib} ELSE {ext_lib} END AS lib,
                   CASE WHEN own THEN {BRAND_BASE} + (team - 1) * 3
                        ELSE least({names - 1},
                                   floor(power({names}::float8, {u("n", "name")}))::int - 1)
                   END AS name_id
            FROM (
                SELECT n, x,
                       '{self.now.isoformat()}'::timestamptz
                           - (1 - x) * interval '{YEARS_DAYS} days' AS created_at,
                       1 + floor(greatest(1, floor({teams} * ({FOUNDING_TEAMS}
                                                   + {1 - FOUNDING_TEAMS} * x)))
                                 * power({u("n", "team")}, {TEAM_SKEW}))::int AS team,
                       {u("n", "own")} < {OWN_SHARE} AS own
                FROM (SELECT n, ln(1 + ((n - 0.5) / {m}::float8) * {math.exp(GROWTH) - 1})
                                / {GROWTH} AS x
                      FROM generate_series(1, {m}) n) s
            ) s""")

    def organizations(self) -> None:
        """Shared organisations for names any library incident uses; for the others, one
        private organisation per team that names it (in its team-only incidents)."""
        t = self.t
        self.sql("""CREATE TEMP TABLE gd_org ON COMMIT DROP AS
            WITH used AS (SELECT name_id, bool_or(lib) AS shared, min(created_at) AS first_at
                          FROM gd_i GROUP BY name_id),
                 keyed AS (SELECT name_id, NULL::bigint AS team, first_at FROM used
                           WHERE shared
                           UNION ALL
                           SELECT i.name_id, i.team, min(i.created_at)
                           FROM gd_i i JOIN used USING (name_id) WHERE NOT used.shared
                           GROUP BY i.name_id, i.team)
            SELECT row_number() OVER (ORDER BY first_at, name_id, team) AS id, name_id, team,
                   first_at
            FROM keyed""")
        self.sql(f"""INSERT INTO {t.organization}
                (id, team_id, name, slug, aliases, industry, website, handles, created_at)
            SELECT o.id, o.team, nm.name,
                   CASE WHEN o.team IS NULL THEN nm.slug
                        ELSE nm.slug || '-' || pg_temp.gd_tail(o.id) END,
                   CASE WHEN nm.alias = '' THEN '[]'::jsonb
                        ELSE jsonb_build_array(nm.alias) END,
                   nm.industry,
                   CASE WHEN {u("o.id", "website")} < 0.4
                        THEN 'https://' || replace(nm.slug, '-', '') || '.example' ELSE '' END,
                   CASE WHEN {u("o.id", "handles")} < 0.3
                        THEN jsonb_build_array('@' || left(replace(nm.slug, '-', ''), 15))
                        ELSE '[]'::jsonb END,
                   o.first_at - interval '1 minute'
            FROM gd_org o JOIN gd_name nm USING (name_id)""")

    def incident_attributes(self) -> None:
        """Dates, response, status and classification of every incident, kept in a temporary
        table that the incidents, timelines, sources and learnings are all made from."""
        now = f"'{self.now.isoformat()}'::timestamptz"
        causes = len(self.cause_ids())
        lag = (f"CASE WHEN {u('n', 'lag')} < 0.7 THEN floor({u('n', 'lag_days')} * 3) "
               f"WHEN {u('n', 'lag')} < 0.95 THEN floor({u('n', 'lag_days')} * 60) "
               f"ELSE floor({u('n', 'lag_days')} * 1800) END")
        recent_status = pick(u("n", "status"), [("open", 40), ("monitoring", 30),
                                                ("closed", 30)])
        old_status = pick(u("n", "status"), [("closed", 90), ("monitoring", 6), ("open", 4)])
        self.sql(f"""CREATE TEMP TABLE gd_a ON COMMIT DROP AS
            SELECT r.*,
                   CASE WHEN r.response_at IS NOT NULL AND r.apol THEN
                       CASE WHEN r.ack OR r.expl
                            THEN least({now}, r.response_at + {minutes(u('n', 'apology'), 1440)})
                            ELSE r.response_at END
                   END AS apology_at,
                   CASE WHEN r.status = 'closed' THEN
                       least({now}, coalesce(r.response_at, r.detected_at, r.posted_at)
                                    + {minutes(u('n', 'resolve'), 20160)})
                   END AS resolved_at
            FROM (
                SELECT d.*,
                       CASE WHEN d.timeline AND (d.ack OR d.apol OR d.expl) THEN
                           least({now}, coalesce(d.detected_at, d.posted_at)
                                        + {minutes(u('n', 'respond'), 2880)})
                       END AS response_at
                FROM (
                    SELECT p.*,
                           CASE WHEN {u('n', 'detected')} < 0.85 THEN
                               least(p.created_at,
                                     p.posted_at + {minutes(u('n', 'detect_delay'), 4320)})
                           END AS detected_at
                    FROM (
                        SELECT o.*,
                               greatest(o.occurred_on::timestamptz,
                                        least(o.occurred_on + (8 + 14 * {u('n', 'hour')})
                                                              * interval '1 hour',
                                              o.created_at - interval '1 minute')) AS posted_at
                        FROM (
                            SELECT i.n, i.x, i.team, i.own, i.lib, i.name_id, i.created_at,
                                   greatest(({now} - interval '{YEARS_DAYS} days')::date,
                                            i.created_at::date - ({lag})::int) AS occurred_on,
                                   coalesce(so.id, po.id) AS org_id,
                                   tm.first_user + floor({u('n', 'author')} * tm.writers)::int
                                       AS created_by,
                                   {u('n', 'timeline')} < 0.55 AS timeline,
                                   {u('n', 'ack')} < 0.55 AS ack,
                                   {u('n', 'apol')} < 0.25 AS apol,
                                   {u('n', 'expl')} < 0.2 AS expl,
                                   {u('n', 'help')} < 0.08 AS help,
                                   {u('n', 'deleted')} < 0.12 AS deleted,
                                   {u('n', 'defensive')} < 0.08 AS defensive,
                                   {u('n', 'blamed')} < 0.05 AS blamed,
                                   CASE WHEN i.created_at > {now} - interval '60 days'
                                        THEN {recent_status} ELSE {old_status} END AS status,
                                   {pick(u('n', 'severity'), SEVERITIES)} AS severity,
                                   {pick(u('n', 'platform'), PLATFORMS)} AS platform,
                                   {pick(u('n', 'cause'),
                                         [(i + 1, w) for i, w in
                                          enumerate(CAUSE_WEIGHTS[:causes])], 'int')}
                                       AS cause,
                                   {pick(u('n', 'causes'), [(0, 55), (1, 35), (2, 10)], 'int')}
                                       AS causes,
                                   {pick(u('n', 'factors'), [(0, 45), (1, 30), (2, 17), (3, 8)],
                                         'int')} AS factors,
                                   {pick(u('n', 'actor'), ACTORS)} AS actor,
                                   CASE WHEN {u('n', 'context')} < 0.88 THEN '[]'::jsonb
                                        ELSE jsonb_build_array(
                                            {pick(u('n', 'context_kind'), CONTEXTS)}) END
                                       AS context,
                                   CASE WHEN {u('n', 'archived')} < 0.015 THEN
                                       least({now}, i.created_at
                                                    + {minutes(u('n', 'archived_at'), 525600)})
                                   END AS archived_at
                            FROM gd_i i
                            JOIN gd_team tm ON tm.id = i.team
                            LEFT JOIN gd_org so ON so.name_id = i.name_id AND so.team IS NULL
                            LEFT JOIN gd_org po ON po.name_id = i.name_id AND po.team = i.team
                        ) o
                    ) p
                ) d
            ) r""")

    def cause_ids(self) -> list[int]:
        return list(RootCause.objects.filter(is_active=True).order_by("code")
                    .values_list("pk", flat=True))

    def factor_ids(self) -> list[int]:
        return list(Factor.objects.filter(is_active=True).order_by("pk")
                    .values_list("pk", flat=True))

    def incidents(self) -> None:
        t, seed = self.t, self.plan.seed
        causes = "ARRAY[" + ", ".join(str(c) for c in self.cause_ids()) + "]::bigint[]"
        sentences, titles = self.pool_size["gd_sentence"], self.pool_size["gd_title"]
        moves = ("a.ack::int + a.apol::int + a.expl::int + a.help::int"
                 " - a.deleted::int - a.defensive::int - a.blamed::int")
        self.sql(f"""INSERT INTO {t.incident}
                (id, created_at, updated_at, public_id, visibility, origin, title, summary,
                 platform, occurred_on, detected_at, first_response_at, resolved_at, status,
                 severity, context, actor, acknowledged, apologized, explained_fix,
                 asked_for_help, deleted_silently, defensive, blamed_others, response_score,
                 archived_at, idempotency_key, created_by_id, team_id, organization_id,
                 primary_cause_id)
            SELECT a.n, a.created_at,
                   greatest(a.created_at, a.resolved_at, a.archived_at, a.response_at,
                            a.apology_at),
                   {uuid('incident', 'a.n', seed)},
                   CASE WHEN a.lib THEN 'library' ELSE 'team' END,
                   CASE WHEN a.own THEN 'own' ELSE 'external' END,
                   left(CASE WHEN {u('a.n', 'title_org')} < 0.5
                             THEN nm.name || ': ' || lower(tt.s) ELSE tt.s END, 200),
                   s1.s || ' ' || s2.s || coalesce(' ' || s3.s, '') || coalesce(' ' || s4.s, ''),
                   a.platform, a.occurred_on, a.detected_at, a.response_at, a.resolved_at,
                   a.status, a.severity, a.context, a.actor, a.ack, a.apol, a.expl, a.help,
                   a.deleted, a.defensive, a.blamed, greatest(0, least(4, {moves})),
                   a.archived_at, NULL, a.created_by, a.team, a.org_id, ({causes})[a.cause]
            FROM gd_a a
            JOIN gd_name nm ON nm.name_id = a.name_id
            JOIN gd_title tt ON tt.k = floor({u('a.n', 'title')} * {titles})::int
            JOIN gd_sentence s1 ON s1.k = floor({u('a.n', 's1')} * {sentences})::int
            JOIN gd_sentence s2 ON s2.k = floor({u('a.n', 's2')} * {sentences})::int
            LEFT JOIN gd_sentence s3
                ON s3.k = CASE WHEN {u('a.n', 'has_s3')} < 0.8
                               THEN floor({u('a.n', 's3')} * {sentences})::int END
            LEFT JOIN gd_sentence s4
                ON s4.k = CASE WHEN {u('a.n', 'has_s4')} < 0.4
                               THEN floor({u('a.n', 's4')} * {sentences})::int END""")

    def causes_and_factors(self) -> None:
        """Contributing causes other than the primary one; factors, all distinct."""
        t = self.t
        causes = self.cause_ids()
        c = len(causes)
        cause_array = "ARRAY[" + ", ".join(map(str, causes)) + "]::bigint[]"
        first = f"(1 + floor({u('a.n', 'cc1')} * {c - 1})::int)"
        second = f"(1 + ({first} + floor({u('a.n', 'cc2')} * {c - 2})::int) % {c - 1})"
        self.sql(f"""INSERT INTO {t.incident_cause} (id, incident_id, rootcause_id)
            SELECT row_number() OVER (ORDER BY a.n, v.j), a.n,
                   ({cause_array})[1 + (a.cause - 1 + v.offs) % {c}]
            FROM gd_a a CROSS JOIN LATERAL (VALUES (1, {first}), (2, {second})) v(j, offs)
            WHERE v.j <= a.causes""")
        factors = self.factor_ids()
        f = len(factors)
        factor_array = "ARRAY[" + ", ".join(map(str, factors)) + "]::bigint[]"
        base = f"floor({u('a.n', 'f0')} * {f})::int"
        first = f"(1 + floor({u('a.n', 'f1')} * {f - 1})::int)"
        second = f"(1 + ({first} + floor({u('a.n', 'f2')} * {f - 2})::int) % {f - 1})"
        self.sql(f"""INSERT INTO {t.incident_factor} (id, incident_id, factor_id)
            SELECT row_number() OVER (ORDER BY a.n, v.j), a.n,
                   ({factor_array})[1 + ({base} + v.offs) % {f}]
            FROM gd_a a CROSS JOIN LATERAL (VALUES (1, 0), (2, {first}), (3, {second}))
                 v(j, offs)
            WHERE v.j <= a.factors""")

    def timelines(self) -> None:
        """Some incidents have a timeline; its responses and apologies are what
        first_response_at is derived from (the earliest of them), as the services derive it."""
        t, seed = self.t, self.plan.seed
        now = f"'{self.now.isoformat()}'::timestamptz"

        def text(kind: str) -> str:
            return one_of(u("a.n", f"event_{kind}"), EVENT_TEXTS[kind])

        press_at = f"least({now}, a.posted_at + {minutes(u('a.n', 'press_at'), 4320)})"
        kinds = [
            ("posted", "a.posted_at", "true"),
            ("detected", "a.detected_at", "a.detected_at IS NOT NULL"),
            ("response", "a.response_at", "(a.ack OR a.expl) AND a.response_at IS NOT NULL"),
            ("apology", "a.apology_at", "a.apology_at IS NOT NULL"),
            ("press", press_at,
             f"a.severity IN ('high', 'critical') AND {u('a.n', 'press')} < 0.5"),
            ("fix", "a.resolved_at", "a.status = 'closed'"),
        ]
        events = " UNION ALL ".join(
            f"""SELECT a.n, {j} AS j, '{kind}'::text AS kind, {at} AS at,
                       {text(kind)} AS text, a.created_at, a.created_by
                FROM gd_a a WHERE a.timeline AND {where}"""
            for j, (kind, at, where) in enumerate(kinds, start=1))
        self.sql(f"""INSERT INTO {t.event}
                (id, public_id, at, kind, text, url, created_at, created_by_id, incident_id)
            SELECT e.id, {uuid('event', 'e.id', seed)}, e.at, e.kind, e.text, '',
                   greatest(e.created_at, e.at), e.created_by, e.n
            FROM (SELECT row_number() OVER (ORDER BY v.n, v.j) AS id, v.* FROM ({events}) v) e""")

    def sources(self) -> None:
        """Links: the post itself, press articles (a few round-ups cited by many incidents),
        archived copies and screenshots; one Source per link, shared by its incidents."""
        t, seed, m = self.t, self.plan.seed, self.plan.incidents
        handle = "left(replace(nm.slug, '-', ''), 15)"
        # Unique per incident by construction (the row number is part of them): only articles
        # are shared, so sources are told apart by a number, not by comparing their text.
        num = f"(a.n::bigint * 1000000 + (hashint8extended(a.n, {seed}) & 1048575) % 1000000)::text"
        code = f"left(md5('{seed}:post:' || a.n), 5) || to_hex(a.n)"
        post_url = "CASE a.platform " + " ".join(
            f"WHEN '{platform}' THEN {pattern.format(h=handle, num=num, code=code)}"
            for platform, pattern in POST_URLS.items()) + " END"
        articles = max(1_000, m // 4)
        article = (f"CASE WHEN {u('a.n', 'roundup')} < 0.2 "
                   f"THEN floor({u('a.n', 'article')} * {ROUNDUPS})::int "
                   f"ELSE {ROUNDUPS} + floor({u('a.n', 'article')} * {articles})::int END")
        outlets = "ARRAY[" + ", ".join(lit(o) for o in NEWS_OUTLETS) + "]"
        article_url = (f"'https://' || ({outlets})[1 + p.article % {len(NEWS_OUTLETS)}] || "
                       f"'.example/' || CASE WHEN p.article < {ROUNDUPS} "
                       f"THEN 'lists/worst-brand-fails-' ELSE 'news/story-' END || p.article")
        has_post = (f"{u('a.n', 'has_post')} < 0.6 AND a.platform NOT IN ('tv', 'other')")
        # One SELECT per kind of link, each computing its link only for the incidents that
        # have one (a LATERAL VALUES list computed every link for every incident: 5x slower).
        kinds = [
            ("post", has_post, post_url, "a.platform", "NULL::int", "a.n::bigint * 8 + 1"),
            ("article", f"{u('a.n', 'has_article')} < 0.35", article_url, "'website'",
             "p.article", "-1 - p.article"),
            ("archive", f"{has_post} AND {u('a.n', 'has_archive')} < 0.15",
             "'https://web.archive.org/web/' || to_char(a.posted_at, 'YYYYMMDDHH24MISS') || '/' "
             f"|| {post_url}", "'website'", "NULL", "a.n::bigint * 8 + 3"),
            ("screenshot", f"{u('a.n', 'has_screenshot')} < 0.1",
             f"'https://images.example/' || md5('{seed}:shot:' || a.n) || '.png'", "'website'",
             "NULL", "a.n::bigint * 8 + 4"),
        ]
        selects = [
            f"""SELECT a.n, {j} AS j, '{kind}'::text AS kind, {url} AS url,
                       {platform}::text AS platform, {title_k} AS title_k, a.created_by,
                       a.created_at + interval '{j} seconds' AS created_at, {key} AS key
                FROM gd_a a
                JOIN gd_name nm ON nm.name_id = a.name_id
                CROSS JOIN LATERAL (SELECT {article} AS article) p
                WHERE {where}"""
            for j, (kind, where, url, platform, title_k, key) in enumerate(kinds, start=1)]
        self.sql("CREATE TEMP TABLE gd_link ON COMMIT DROP AS " + " UNION ALL ".join(selects))
        self.sql("""CREATE TEMP TABLE gd_src ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY first_at, key) AS id, key, url, platform,
                   first_at
            FROM (SELECT key, min(url COLLATE "C") AS url, min(platform) AS platform,
                         min(created_at) AS first_at
                  FROM gd_link GROUP BY key) s""")
        self.sql(f"""INSERT INTO {t.source} (id, public_id, url, platform, created_at)
            SELECT id, {uuid('source', 'id', seed)}, url, platform, first_at FROM gd_src""")
        titles = self.pool_size["gd_title"]
        self.sql(f"""INSERT INTO {t.incident_source}
                (id, incident_id, source_id, kind, title, captured_at, added_by_id, created_at)
            SELECT row_number() OVER (ORDER BY l.n, l.j), l.n, s.id, l.kind,
                   CASE WHEN l.title_k IS NULL THEN '' ELSE tt.s END,
                   CASE WHEN l.kind IN ('archive', 'screenshot') THEN l.created_at END,
                   l.created_by, l.created_at
            FROM gd_link l
            JOIN gd_src s ON s.key = l.key
            LEFT JOIN gd_title tt ON tt.k = l.title_k % {titles}""")

    def learnings(self) -> None:
        """Learnings drawn from an incident of their own team (the anchor), some more of its
        own incidents and some library incidents logged before it: never another team's
        team-only incident."""
        t, plan, seed = self.t, self.plan, self.plan.seed
        now = f"'{self.now.isoformat()}'::timestamptz"
        sentences = self.pool_size["gd_sentence"]
        ltitles = self.pool_size["gd_ltitle"]
        self.sql("""CREATE TEMP TABLE gd_pos ON COMMIT DROP AS
            SELECT n, team,
                   row_number() OVER (PARTITION BY team ORDER BY n) AS team_seq,
                   sum(lib::int) OVER (ORDER BY n) AS lib_before
            FROM gd_i""")
        self.sql("CREATE INDEX ON gd_pos (team, team_seq)")
        self.sql("ALTER TABLE gd_pos ADD PRIMARY KEY (n)")
        self.sql("""CREATE TEMP TABLE gd_libseq ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY n) AS seq, n FROM gd_i WHERE lib""")
        self.sql("ALTER TABLE gd_libseq ADD PRIMARY KEY (seq)")
        young = pick(u("j", "lstatus"), [("draft", 60), ("proposed", 30), ("adopted", 10)])
        older = pick(u("j", "lstatus"), [("draft", 20), ("proposed", 10), ("adopted", 55),
                                         ("retired", 15)])
        self.sql(f"""CREATE TEMP TABLE gd_l ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY c.created_at, c.j) AS id, c.*,
                   tm.first_user + floor({u('c.j', 'lowner')} * tm.writers)::int AS writer,
                   tm.first_user + floor({u('c.j', 'lchanger')} * tm.writers)::int AS changer
            FROM (
                SELECT j, a.n AS anchor, a.team, p.team_seq, p.lib_before, s.created_at,
                       CASE WHEN s.created_at > {now} - interval '14 days' THEN {young}
                            ELSE {older} END AS status
                FROM generate_series(1, {plan.learnings}) j
                JOIN gd_a a ON a.n = 1 + floor({u('j', 'anchor')} * {plan.incidents})::int
                JOIN gd_pos p ON p.n = a.n
                CROSS JOIN LATERAL (SELECT least({now}, a.created_at
                                            + {minutes(u('j', 'lcreated'), 43200)})
                                    AS created_at) s
            ) c JOIN gd_team tm ON tm.id = c.team""")
        changed = f"least({now}, l.created_at + {minutes(u('l.j', 'lchanged'), 86400)})"
        self.sql(f"""INSERT INTO {t.learning}
                (id, created_at, updated_at, public_id, title, lesson, practice, status,
                 status_changed_at, adopted_at, retired_at, retired_reason, review_on,
                 archived_at, idempotency_key, created_by_id, owner_id, status_changed_by_id,
                 team_id)
            SELECT l.id, l.created_at, greatest(l.created_at, l.changed_at, l.archived_at),
                   {uuid('learning', 'l.id', seed)}, tt.s, s1.s || ' ' || s2.s, s3.s, l.status,
                   l.changed_at,
                   CASE WHEN l.status = 'adopted' THEN l.changed_at
                        WHEN l.status = 'retired'
                        THEN l.created_at + (l.changed_at - l.created_at) / 2 END,
                   CASE WHEN l.status = 'retired' THEN l.changed_at END,
                   CASE WHEN l.status = 'retired'
                        THEN {one_of(u('l.j', 'reason'), LEARNING_TEXTS['retired'])}
                        ELSE '' END,
                   CASE WHEN l.status = 'adopted' AND {u('l.j', 'review')} < 0.7
                        THEN (l.changed_at + (90 + floor({u('l.j', 'review_in')} * 275))::int
                                             * interval '1 day')::date END,
                   l.archived_at, NULL, l.writer,
                   CASE WHEN {u('l.j', 'has_owner')} < 0.8 THEN l.writer END,
                   CASE WHEN l.changed_at IS NOT NULL THEN l.changer END,
                   l.team
            FROM (SELECT l.*,
                         CASE WHEN l.status <> 'draft' THEN {changed} END AS changed_at,
                         CASE WHEN {u('l.j', 'larchived')} < 0.02
                              THEN least({now}, l.created_at + interval '30 days') END
                             AS archived_at
                  FROM gd_l l) l
            JOIN gd_ltitle tt ON tt.k = floor({u('l.j', 'ltitle')} * {ltitles})::int
            JOIN gd_sentence s1 ON s1.k = floor({u('l.j', 'lesson1')} * {sentences})::int
            JOIN gd_sentence s2 ON s2.k = floor({u('l.j', 'lesson2')} * {sentences})::int
            JOIN gd_sentence s3 ON s3.k = floor({u('l.j', 'practice')} * {sentences})::int""")
        own = (f"CASE WHEN v.j <= {pick(u('l.j', 'own_links'), [(0, 40), (1, 35), (2, 25)], 'int')}"
               f" THEN 1 + floor({u('l.j * 8 + v.j', 'own_pick')} * l.team_seq)::bigint END")
        library = (f"CASE WHEN l.lib_before > 0 AND v.j <= "
                   f"{pick(u('l.j', 'lib_links'), [(0, 30), (1, 30), (2, 25), (3, 15)], 'int')}"
                   f" THEN 1 + floor({u('l.j * 8 + v.j', 'lib_pick')} * l.lib_before)::bigint"
                   " END")
        self.sql(f"""INSERT INTO {t.learning_incident} (id, learning_id, incident_id)
            SELECT row_number() OVER (ORDER BY learning_id, incident_id), learning_id,
                   incident_id
            FROM (
                SELECT l.id AS learning_id, l.anchor AS incident_id FROM gd_l l
                UNION
                SELECT l.id, p.n
                FROM gd_l l CROSS JOIN generate_series(1, 2) v(j)
                JOIN gd_pos p ON p.team = l.team AND p.team_seq = {own}
                UNION
                SELECT l.id, ls.n
                FROM gd_l l CROSS JOIN generate_series(1, 3) v(j)
                JOIN gd_libseq ls ON ls.seq = {library}
            ) links""")

    def action_items(self) -> None:
        t, seed = self.t, self.plan.seed
        now = f"'{self.now.isoformat()}'::timestamptz"
        titles = self.pool_size["gd_atitle"]
        count = pick(u("l.id", "actions"), [(0, 25), (1, 25), (2, 25), (3, 15), (4, 10)], "int")
        self.sql(f"""INSERT INTO {t.action}
                (id, created_at, updated_at, public_id, title, due_on, kind, done_at,
                 archived_at, created_by_id, done_by_id, learning_id, owner_id)
            SELECT x.id, x.created_at, greatest(x.created_at, x.done_at, x.archived_at),
                   {uuid('action', 'x.id', seed)}, tt.s, x.due_on, x.kind, x.done_at,
                   x.archived_at, x.writer, CASE WHEN x.done_at IS NOT NULL THEN x.doer END,
                   x.learning_id, CASE WHEN {u('x.id', 'aowner')} < 0.85 THEN x.doer END
            FROM (
                SELECT y.*,
                       CASE WHEN {u('y.id', 'done')} <
                                 CASE WHEN y.due_on < {now}::date THEN 0.7 ELSE 0.2 END
                            THEN least({now}, y.created_at + {minutes(u('y.id', 'done_at'),
                                                                     86400)}) END AS done_at,
                       CASE WHEN {u('y.id', 'aarchived')} < 0.01
                            THEN least({now}, y.created_at + interval '7 days') END
                           AS archived_at
                FROM (
                    SELECT row_number() OVER (ORDER BY l.id, g) AS id, l.id AS learning_id,
                           least({now}, l.created_at + g * interval '1 minute') AS created_at,
                           CASE WHEN {u('l.id * 8 + g', 'has_due')} < 0.85
                                THEN (l.created_at + (7 + floor({u('l.id * 8 + g', 'due')} * 83))
                                                     ::int * interval '1 day')::date
                           END AS due_on,
                           {pick(u('l.id * 8 + g', 'akind'), ACTION_KINDS)} AS kind,
                           l.writer, tm.first_user
                               + floor({u('l.id * 8 + g', 'adoer')} * tm.writers)::int AS doer
                    FROM gd_l l JOIN gd_team tm ON tm.id = l.team
                    CROSS JOIN LATERAL generate_series(1, {count}) g
                ) y
            ) x
            JOIN gd_atitle tt ON tt.k = floor({u('x.id', 'atitle')} * {titles})::int""")

    def history(self) -> None:
        """One creation record ("+") per incident, timeline entry, source link, learning and
        action item, by who made it and when, with the relations it was made with. Half the
        incidents closed after they were logged were logged open and closed later, and every
        learning past draft was drafted first: for those a change record ("~") follows, at
        the change, holding the state of today (as one_history_record writes it)."""
        incident_later = (f"(s.status = 'closed' AND s.resolved_at > s.created_at "
                          f"AND {u('s.id', 'closed_later')} < 0.5)")
        learning_later = "(s.status <> 'draft' AND s.status_changed_at > s.created_at)"
        self.history_records(
            "incident", "h_incident", "created_by_id", later=incident_later,
            later_at="s.resolved_at", later_by="s.created_by_id",
            created={"status": "'open'", "resolved_at": "NULL", "updated_at": "s.created_at"})
        self.history_records(
            "learning", "h_learning", "created_by_id", later=learning_later,
            later_at="s.status_changed_at", later_by="s.status_changed_by_id",
            created={"status": "'draft'", "status_changed_at": "NULL",
                     "status_changed_by_id": "NULL", "adopted_at": "NULL",
                     "retired_at": "NULL", "retired_reason": "''", "review_on": "NULL",
                     "updated_at": "s.created_at"})
        for source, target, author in (("event", "h_event", "created_by_id"),
                                       ("incident_source", "h_incident_source", "added_by_id"),
                                       ("action", "h_action", "created_by_id")):
            self.history_records(source, target, author)
        for source, target, history, fk in (
                ("incident_cause", "h_incident_cause", "h_incident", "incident_id"),
                ("incident_factor", "h_incident_factor", "h_incident", "incident_id"),
                ("learning_incident", "h_learning_incident", "h_learning", "learning_id")):
            self.m2m_history(source, target, history, fk)

    def history_records(self, source: str, target: str, author: str, *, later: str = "false",
                        later_at: str = "", later_by: str = "",
                        created: dict[str, str] | None = None) -> None:
        """Copy rows of `source` into its history `target`: a "+" record each (history_id =
        the row's id), with the `created` columns as they were at creation for the rows that
        changed `later`; for those, a "~" record of today's state at `later_at`."""
        t, models, created = self.t, schema_tools.models_by_name(), created or {}
        fields = [c for c in schema_tools.columns(models[target]) if not c.startswith("history_")]
        cols = ", ".join(fields)
        values = ", ".join(f"CASE WHEN {later} THEN {created[c]} ELSE s.{c} END"
                           if c in created else f"s.{c}" for c in fields)
        self.sql(f"""INSERT INTO {getattr(t, target)}
                ({cols}, history_id, history_date, history_change_reason, history_type,
                 history_user_id)
            SELECT {values}, s.id, s.created_at, NULL, '+', s.{author}
            FROM {getattr(t, source)} s""")
        if later == "false":
            return
        self.sql(f"SELECT coalesce(max(id), 0) FROM {getattr(t, source)}")
        offset = self.cursor.fetchone()[0]
        self.sql(f"""INSERT INTO {getattr(t, target)}
                ({cols}, history_id, history_date, history_change_reason, history_type,
                 history_user_id)
            SELECT {", ".join(f"s.{c}" for c in fields)},
                   {offset} + row_number() OVER (ORDER BY {later_at}, s.id), {later_at}, NULL,
                   '~', {later_by}
            FROM {getattr(t, source)} s WHERE {later}""")

    def m2m_history(self, source: str, target: str, history: str, fk: str) -> None:
        """The relation as each record of the owner's history saw it (all of today's links:
        the load changes no relation after creation)."""
        t, models = self.t, schema_tools.models_by_name()
        fields = [c for c in schema_tools.columns(models[target])
                  if c not in ("m2m_history_id", "history_id")]
        cols = ", ".join(fields)
        self.sql(f"""INSERT INTO {getattr(t, target)} (m2m_history_id, history_id, {cols})
            SELECT id, {fk}, {cols} FROM {getattr(t, source)}""")
        self.sql(f"SELECT coalesce(max(id), 0) FROM {getattr(t, source)}")
        offset = self.cursor.fetchone()[0]
        self.sql(f"""INSERT INTO {getattr(t, target)} (m2m_history_id, history_id, {cols})
            SELECT {offset} + row_number() OVER (ORDER BY h.history_id, r.id), h.history_id,
                   {", ".join(f"r.{c}" for c in fields)}
            FROM {getattr(t, history)} h JOIN {getattr(t, source)} r ON r.{fk} = h.id
            WHERE h.history_type = '~'""")

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
