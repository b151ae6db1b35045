"""How many requests the API answers, counted in the project's cache (Redis when REDIS_URL is
set, so every worker shares the counts) over a sliding window:

- each personal API token has its own allowance (API_RATE_TOKEN), so one script that runs
  away does not stop the person's other tools; a signed-in browser session counts for its
  person (also API_RATE_TOKEN);
- requests without credentials count per IP address (API_RATE_ANONYMOUS): what anyone may
  read (the schema, its documentation); elsewhere they are refused (401) before counting.
  The IP is REMOTE_ADDR (NUM_PROXIES = 0): a client cannot choose its own by sending
  X-Forwarded-For.

Past the allowance the answer is a 429 in the API's error shape with `Retry-After` (seconds).
The rates are read from the settings at each request, as DRF writes them ("600/minute");
None turns a limit off.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class _SettingsRate(SimpleRateThrottle):
    setting = ""

    def get_rate(self):
        return getattr(settings, self.setting)


class CallerRateThrottle(_SettingsRate):
    """Per token, or per person for a session."""

    scope = "caller"
    setting = "API_RATE_TOKEN"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # AnonymousRateThrottle's
        token = request.auth
        ident = (f"token-{token.pk}" if isinstance(token, ApiToken)
                 else f"user-{request.user.pk}")
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(_SettingsRate):
    """Per IP address, for requests without credentials."""

    scope = "anonymous"
    setting = "API_RATE_ANONYMOUS"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
