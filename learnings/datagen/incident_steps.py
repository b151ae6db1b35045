"""The incidents half of the load: who logged what when, organisations, incidents, their
causes, factors, timelines and sources. Mixed into load.Load, which holds the plan, the
tables (self.t), the cursor and the vocabulary pools."""

import math

from incidents.models import Factor, RootCause

from .sql import lit, minutes, one_of, pick, u, uuid
from .vocabulary import NEWS_OUTLETS

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


class IncidentSteps:
    """Steps of Load that write organisations, incidents and what hangs off them."""

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
