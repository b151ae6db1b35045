"""Per-request settings: the user's time zone, and no caching of signed-in pages."""

import zoneinfo

from django.utils import timezone
from django.utils.cache import patch_cache_control


class UserTimezoneMiddleware:
    """Activates the user's time zone for the request (times are stored in UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # override() rather than activate(): the zone is restored when the response is made, so
        # one request's zone never outlives it in the thread (a worker thread serves many users;
        # code run after the request in the same thread must see the default zone again).
        with timezone.override(self._zone_of(getattr(request, "user", None))):
            return self.get_response(request)

    @staticmethod
    def _zone_of(user):
        if user is None or not user.is_authenticated:
            return None
        try:
            return zoneinfo.ZoneInfo(user.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None


class PrivateCacheMiddleware:
    """Signed-in pages show a team's private data: no shared cache may keep them, and the
    browser must not show them from its cache after sign-out (Back on a shared computer).

    Anonymous pages (sign-in, password reset) keep their default headers; static files are
    answered by WhiteNoise before this runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
