"""Personal API tokens for the REST API: `Authorization: Token <key>`.

A request with a valid key acts as the token's owner: request.user is the person and
request.auth the ApiToken, so the API can apply the token's limits (read_only, team). Wrong,
revoked or malformed keys answer 401 with one message that says nothing of which it was.

Guessing keys is limited: failed token authentications are counted per client IP in the
cache (Redis when REDIS_URL is set, shared by every worker), and past API_RATE_TOKEN_FAILURES
("20/minute") every request from that IP that sends a token, right or wrong, is a 429 with
Retry-After until the window has moved on; a right key among the 429s would tell the guesser
it is right. Checked before the key is looked up.
"""

from django.conf import settings
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken
from .services import token_for_key

KEYWORD = "Token"
MALFORMED = ("Send the key as “Authorization: Token <key>”: the word Token, one space, then "
             "the key, without quotes.")
# The same words for a mistyped, unknown or revoked key, and for an owner who may no longer
# use it: the answer tells a guesser nothing.
INVALID = ("This API token is not valid: it may be mistyped or revoked. Make a new one on "
           "your profile page in Misfire.")
READ_ONLY = "This API token is read-only; make a read-and-write token to change anything."


class FailedTokenThrottle(SimpleRateThrottle):
    """Failed token authentications per client IP (REMOTE_ADDR, as the API's throttles read
    it), over a sliding window of API_RATE_TOKEN_FAILURES; None turns the limit off."""

    scope = "token_failures"

    def get_rate(self):
        return settings.API_RATE_TOKEN_FAILURES

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def refuse_if_spent(self, request) -> None:
        """Throttled (429, Retry-After) while this IP has failed as often as allowed."""
        if self.rate is None:
            return
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            raise Throttled(wait=self.wait())

    def count_failure(self, request) -> None:
        if self.rate is None:
            return
        self.key = self.get_cache_key(request)
        self.history = [moment for moment in self.cache.get(self.key, [])
                        if moment > self.timer() - self.duration]
        self.now = self.timer()
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>` with a personal API token (accounts.ApiToken)."""

    keyword = KEYWORD

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: another scheme, or the browser's session
        failures = FailedTokenThrottle()
        failures.refuse_if_spent(request)
        try:
            return self._authenticate(parts)
        except AuthenticationFailed:
            failures.count_failure(request)
            raise

    def _authenticate(self, parts: list[bytes]):
        if len(parts) != 2:
            raise AuthenticationFailed(MALFORMED)
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise AuthenticationFailed(INVALID) from error
        token = token_for_key(key)
        if token is None:
            raise AuthenticationFailed(INVALID)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) with `WWW-Authenticate: Token`.
        return self.keyword


class ReadOnlyTokenPermission(BasePermission):
    """A read-only token may only read (GET, HEAD, OPTIONS): anything else is a 403. Requests
    signed in by session, or made with a read-and-write token, pass."""

    message = READ_ONLY

    def has_permission(self, request, view) -> bool:
        token = request.auth
        return (request.method in SAFE_METHODS or not isinstance(token, ApiToken)
                or not token.read_only)


try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
except ImportError:  # the OpenAPI schema is optional for token authentication itself
    pass
else:
    class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
        """Describes the token header in the OpenAPI schema."""

        target_class = "accounts.authentication.TokenAuthentication"
        name = "tokenAuth"

        def get_security_definition(self, auto_schema):
            return {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "A personal API token, made on your profile page: "
                               "`Authorization: Token mf_…`.",
            }
