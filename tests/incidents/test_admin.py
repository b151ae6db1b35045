"""The admin shows each incident's own words about its sources, and none on the shared link."""

from django.urls import reverse

from incidents.services import source_add
from tests.factories import UserFactory


def test_admin_shows_each_incidents_own_title_for_a_shared_link(
        client, member, outsider, private_incident, outsider_private_incident):
    source_add(user=member, incident=private_incident, url="https://news.example.com/a",
               kind="screenshot", title="Our private words")
    link = source_add(user=outsider, incident=outsider_private_incident,
                      url="https://news.example.com/a", kind="article", title="Their words")
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:incidents_incident_change",
                              args=[outsider_private_incident.pk])).content.decode()
    assert "Their words" in page
    assert "Our private words" not in page
    source_page = client.get(reverse("admin:incidents_source_changelist")).content.decode()
    assert "https://news.example.com/a" in source_page
    assert "Our private words" not in source_page
    links = client.get(reverse("admin:incidents_incidentsource_changelist")).content.decode()
    assert "Our private words" in links
    assert "Their words" in links
    history = client.get(reverse("admin:incidents_incidentsource_history",
                                 args=[link.pk]))
    assert history.status_code == 200
