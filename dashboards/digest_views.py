"""The digest's pages: the one-click unsubscribe link of every email, and the preview."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import Membership
from accounts.services import membership_unsubscribe_digest

from .digests import unsubscribe_membership_id

UNSUBSCRIBE_PAGE = "dashboards/digest_unsubscribe.html"


def _membership(token: str) -> Membership | None:
    public_id = unsubscribe_membership_id(token)
    if public_id is None:
        return None
    return (Membership.objects.select_related("team", "user")
            .filter(public_id=public_id).first())


# No sign-in and no CSRF token: the link's signature is the proof (RFC 8058 one-click), and a
# mail client's POST carries neither cookie nor token. A GET only shows the question, because
# mail scanners follow links.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    membership = _membership(token)
    if membership is None:
        # The same answer for a forged, altered or outdated link (the membership is gone).
        return render(request, UNSUBSCRIBE_PAGE, {"invalid": True}, status=404)
    if request.method == "POST":
        membership = membership_unsubscribe_digest(membership=membership)
        return render(request, UNSUBSCRIBE_PAGE, {"membership": membership, "done": True})
    return render(request, UNSUBSCRIBE_PAGE, {"membership": membership})
