"""The learnings half of the load: learnings drawn from readable incidents, their action
items, and the history records of everything. Mixed into load.Load."""

from . import tables as schema_tools
from .sql import minutes, one_of, pick, u, uuid

LEARNING_TEXTS = {
    "retired": ["Superseded by a newer practice.", "The platform changed its rules.",
                "The team that owned it was merged.", "Never followed; replaced."],
}
ACTION_KINDS = [("preventive", 60), ("detective", 25), ("corrective", 15)]


class LearningSteps:
    """Steps of Load that write learnings, action items and every history record."""

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
