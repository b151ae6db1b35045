from incidents.models import RootCause


def test_taxonomy_is_seeded_with_thirteen_causes(db):
    assert RootCause.objects.count() == 13
    assert list(RootCause.objects.values_list("code", flat=True))[:2] == ["C01", "C02"]


def test_the_system_checks_with_the_database_warn_of_nothing(db):
    """What migrate and runserver print first: on SQLite too (the embedded default), no
    warning about the PostgreSQL-only parts of an index."""
    from django.core.management import call_command
    call_command("check", "--database", "default", "--fail-level", "WARNING", verbosity=0)
