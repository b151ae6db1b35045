from incidents.models import RootCause


def test_taxonomy_is_seeded_with_thirteen_causes(db):
    assert RootCause.objects.count() == 13
    assert list(RootCause.objects.values_list("code", flat=True))[:2] == ["C01", "C02"]
