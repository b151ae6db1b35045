"""What the API tests share: a client that acts as a person, by session or with a real
personal API token sent in the `Authorization: Token <key>` header."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create


def token_client(user, *, read_only: bool = False, team=None, name: str | None = None
                 ) -> tuple[APIClient, ApiToken]:
    """A client that sends a new token of `user` (made by token_create, as the profile page
    makes it) in its Authorization header, and the token."""
    token, key = token_create(
        user=user, name=name or f"test {ApiToken.objects.filter(user=user).count() + 1}",
        read_only=read_only, team=team)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, token


@pytest.fixture
def api():
    """api(user): a client signed in as `user` (a session, as the browsable API is used);
    anonymous with None."""
    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client
    return client_for


@pytest.fixture
def api_token(db):
    """api_token(user, read_only=False, team=None): a client with a new real token."""
    def client_for(user, **kwargs) -> APIClient:
        return token_client(user, **kwargs)[0]
    return client_for
