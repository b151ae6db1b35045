"""The tables generate_data fills, read from the models, and the indexes and constraints on
them, which the load drops and rebuilds exactly as the migrations made them."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model


@dataclass(frozen=True)
class Tables:
    """db_table of every model the load writes, by a short name used in its SQL."""

    user: str
    team: str
    membership: str
    organization: str
    source: str
    incident: str
    incident_cause: str
    incident_factor: str
    incident_source: str
    event: str
    learning: str
    learning_incident: str
    action: str
    h_incident: str
    h_incident_cause: str
    h_incident_factor: str
    h_incident_source: str
    h_event: str
    h_learning: str
    h_learning_incident: str
    h_action: str

    def all(self) -> list[str]:
        return list(self.__dict__.values())


def _m2m_history(model: type[Model], field: str) -> type[Model]:
    """simple-history's model for the history of one many-to-many relation."""
    history = model.history.model
    return history._meta.get_field(f"{history._meta.model_name}_{field}").related_model


def models_by_name() -> dict[str, type[Model]]:
    from accounts.models import Membership, Team, User
    from incidents.models import Incident, IncidentSource, Organization, Source, TimelineEvent
    from learnings.models import ActionItem, Learning

    return {
        "user": User, "team": Team, "membership": Membership, "organization": Organization,
        "source": Source, "incident": Incident,
        "incident_cause": Incident.contributing_causes.through,
        "incident_factor": Incident.factors.through,
        "incident_source": IncidentSource, "event": TimelineEvent, "learning": Learning,
        "learning_incident": Learning.incidents.through, "action": ActionItem,
        "h_incident": Incident.history.model,
        "h_incident_cause": _m2m_history(Incident, "contributing_causes"),
        "h_incident_factor": _m2m_history(Incident, "factors"),
        "h_incident_source": IncidentSource.history.model,
        "h_event": TimelineEvent.history.model,
        "h_learning": Learning.history.model,
        "h_learning_incident": _m2m_history(Learning, "incidents"),
        "h_action": ActionItem.history.model,
    }


def tables() -> Tables:
    return Tables(**{name: model._meta.db_table for name, model in models_by_name().items()})


def columns(model: type[Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


@dataclass(frozen=True)
class Schema:
    """What the load drops before writing and rebuilds after, as PostgreSQL itself spells it
    (pg_get_indexdef / pg_get_constraintdef), so the rebuilt schema is the migrated one."""

    foreign_keys: list[tuple[str, str, str]]  # (table, name, definition)
    keys: list[tuple[str, str, str]]  # primary keys and unique constraints
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX …) of plain indexes


def read_schema(cursor, names: list[str]) -> Schema:
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c
           WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY(%s)
                                      OR c.confrelid::regclass::text = ANY(%s))
           ORDER BY 1, 2""", [names, names])
    foreign_keys = cursor.fetchall()
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c
           WHERE c.contype IN ('p', 'u') AND c.conrelid::regclass::text = ANY(%s)
           ORDER BY c.contype, 1, 2""", [names])
    keys = cursor.fetchall()
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           WHERE i.indrelid::regclass::text = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                                           AND c.contype IN ('p', 'u', 'x'))
           ORDER BY 1""", [names])
    indexes = cursor.fetchall()
    return Schema(foreign_keys=foreign_keys, keys=keys, indexes=indexes)


def drop(cursor, schema: Schema) -> None:
    for table, name, _ in schema.foreign_keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, name, _ in schema.keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in schema.indexes:
        cursor.execute(f"DROP INDEX {name}")


def rebuild(cursor, schema: Schema, log: Callable[[str], None] = lambda _: None) -> None:
    statements = (
        [(name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
         for table, name, definition in schema.keys]
        + schema.indexes
        + [(name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
           for table, name, definition in schema.foreign_keys])
    for name, statement in statements:
        start = time.monotonic()
        cursor.execute(statement)
        log(f"  {name}: {time.monotonic() - start:.1f} s")
