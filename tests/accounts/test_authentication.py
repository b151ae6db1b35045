"""Token authentication for the REST API, through a small API view of this module's own:
`Authorization: Token <key>` acts as the token's owner with the token as request.auth; any
wrong, revoked or malformed key is a 401 naming the Token scheme; a read-only token reads but
never writes."""

import pytest
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.authentication import (
    INVALID,
    MALFORMED,
    READ_ONLY,
    ReadOnlyTokenPermission,
    TokenAuthentication,
)
from accounts.models import ApiToken, Membership, Role
from accounts.services import token_create, token_revoke
from tests.conftest import built_once
from tests.factories import MembershipFactory, TeamFactory, UserFactory

NOT_PROVIDED = "Authentication credentials were not provided."


class WhoAmI(APIView):
    """Answers who is asking and with which token; a POST stands for any write."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, ReadOnlyTokenPermission]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        return Response({"user": request.user.email, "token": str(request.auth.public_id),
                         "team": request.auth.team.slug if request.auth.team else None})

    def post(self, request):
        return Response({"wrote": True}, status=201)


view = WhoAmI.as_view()
factory = APIRequestFactory()


def call(authorization: str | bytes | None, method: str = "get"):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    request = getattr(factory, method)("/api/v1/whoami/", **headers)
    response = view(request)
    response.render()
    return response


class World:
    def __init__(self):
        self.comms = TeamFactory(name="Comms", slug="comms")
        self.elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere")
        self.maya = UserFactory(email="maya@example.com")
        self.omar = UserFactory(email="omar@example.com")
        MembershipFactory(user=self.maya, team=self.comms, role=Role.MEMBER)
        MembershipFactory(user=self.omar, team=self.elsewhere, role=Role.MANAGER)
        self.token, self.key = token_create(user=self.maya, name="Notebook")
        self.reader, self.reader_key = token_create(user=self.maya, name="Dashboard",
                                                    read_only=True, team=self.comms)
        self.omars, self.omars_key = token_create(user=self.omar, name="Omar's script")


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        yield World()


@pytest.fixture
def world(built, db):
    return built


def test_a_valid_key_acts_as_its_owner_with_the_token_as_request_auth(world):
    response = call(f"Token {world.key}")
    assert response.status_code == 200
    assert response.data == {"user": "maya@example.com", "token": str(world.token.public_id),
                             "team": None}
    assert ApiToken.objects.get(pk=world.token.pk).last_used_at is not None


def test_each_key_is_its_own_owners(world):
    assert call(f"Token {world.omars_key}").data["user"] == "omar@example.com"
    assert call(f"Token {world.reader_key}").data == {
        "user": "maya@example.com", "token": str(world.reader.public_id), "team": "comms"}


def test_the_keyword_is_read_whatever_its_capitals(world):
    assert call(f"token {world.key}").status_code == 200


def assert_refused(response, detail: str) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.data == {"detail": detail, "errors": {}}


@pytest.mark.parametrize("wrong", [
    "mf_abcdefgh_" + "a" * 40,  # well formed, no such token
    "not-a-key",
    "mf_" + "x" * 5000,
])
def test_an_unknown_key_is_a_401_with_the_token_scheme(world, wrong):
    assert_refused(call(f"Token {wrong}"), INVALID)


def test_a_wrong_secret_after_a_real_prefix_is_refused_in_the_same_words(world):
    assert_refused(call(f"Token {world.key[:-4]}AAAA"), INVALID)


def test_a_revoked_key_is_refused_in_the_same_words_as_an_unknown_one(world):
    token_revoke(user=world.maya, token=world.token)
    assert_refused(call(f"Token {world.key}"), INVALID)


def test_a_deactivated_person_and_a_team_left_are_refused_in_the_same_words(world):
    Membership.objects.filter(user=world.maya, team=world.comms).delete()
    assert_refused(call(f"Token {world.reader_key}"), INVALID)
    world.maya.is_active = False
    world.maya.save(update_fields=["is_active"])
    assert_refused(call(f"Token {world.key}"), INVALID)


@pytest.mark.parametrize("header", ["Token", "Token ", "Token a b", "Token  mf_a mf_b"])
def test_a_malformed_header_says_how_to_send_the_key(world, header):
    assert_refused(call(header), MALFORMED)


def test_a_key_that_is_not_ascii_is_refused_not_an_error(world):
    assert_refused(call("Token mf_é"), INVALID)


@pytest.mark.parametrize("header", [None, "", "Bearer whatever", "Basic dXNlcjpwYXNz"])
def test_without_a_token_the_answer_is_a_401_asking_for_one(world, header):
    assert_refused(call(header), NOT_PROVIDED)


def test_a_read_only_token_reads_but_never_writes(world):
    assert call(f"Token {world.reader_key}").status_code == 200
    for method in ("post", "put", "patch", "delete"):
        response = call(f"Token {world.reader_key}", method)
        assert (response.status_code, response.data) == (
            403, {"detail": READ_ONLY, "errors": {}}), method


def test_a_read_and_write_token_may_write(world):
    response = call(f"Token {world.key}", "post")
    assert (response.status_code, response.data) == (201, {"wrote": True})


def test_a_request_records_the_use_once_a_minute(world, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    call(f"Token {world.key}")
    time_machine.shift(30)
    call(f"Token {world.key}")
    assert ApiToken.objects.get(pk=world.token.pk).last_used_at == start


def test_the_openapi_schema_describes_the_token_header(settings):
    pytest.importorskip("drf_spectacular")
    from django.urls import path
    from drf_spectacular.generators import SchemaGenerator

    settings.REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
    schema = SchemaGenerator(patterns=[path("api/v1/whoami/", view)]).get_schema(public=True)
    assert schema["components"]["securitySchemes"] == {"tokenAuth": {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "A personal API token, made on your profile page: "
                       "`Authorization: Token mf_…`."}}
    assert schema["paths"]["/api/v1/whoami/"]["get"]["security"] == [{"tokenAuth": []}]
