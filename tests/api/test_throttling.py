"""The API answers a limited number of requests a minute: per token (each token its own
allowance, a session its person's), per IP without credentials; past it a 429 in the API's
error shape with Retry-After, until the window has moved on. Counted in Redis, as deployed."""

from datetime import UTC, datetime

import pytest
import redis
import time_machine
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.test import APIClient

from tests.api.conftest import token_client

LIST = "/api/v1/incidents/"
SCHEMA = "/api/v1/schema/"
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def limited(settings, redis_url, db):
    settings.API_RATE_TOKEN = "3/minute"
    settings.API_RATE_ANONYMOUS = "2/minute"
    assert isinstance(caches["default"], RedisCache)
    cache.clear()  # counts of an earlier run, whose ids this run's database may reuse
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
    cache.clear()


def assert_throttled(response):
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Request was throttled. Expected available in 60 seconds.", "errors": {}}
    assert response["Retry-After"] == "60"


def test_each_token_has_its_own_allowance(limited, member, redis_url):
    first, token = token_client(member)
    second, other_token = token_client(member)
    assert [first.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(first.get(LIST))
    assert_throttled(first.get(LIST, {"format": "csv"}))
    # The person's other token, and their browser session, are not held back.
    assert [second.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(second.get(LIST))
    session = APIClient()
    session.force_authenticate(user=member)
    assert session.get(LIST).status_code == 200
    # The counts are in Redis, where every worker reads them.
    keys = redis.Redis.from_url(redis_url).keys("*throttle_caller_*")
    assert sorted(key.decode().split("throttle_caller_")[1] for key in keys) == sorted(
        [f"token-{token.pk}", f"token-{other_token.pk}", f"user-{member.pk}"])


def test_writes_count_too(limited, member):
    client, _ = token_client(member)
    assert client.get(LIST).status_code == 200
    assert client.post(LIST, {"title": ""}, format="json").status_code == 400
    assert client.get(LIST).status_code == 200
    response = client.post(LIST, {"title": "x"}, format="json")
    assert_throttled(response)


def test_the_allowance_comes_back_as_the_window_moves(limited, member):
    client, _ = token_client(member)
    for _ in range(3):
        assert client.get(LIST).status_code == 200
    limited.shift(30)
    assert client.get(LIST).status_code == 429
    limited.shift(31)  # a minute after the first request
    assert client.get(LIST).status_code == 200


def test_without_credentials_the_allowance_is_per_ip(limited, db):
    client = APIClient()
    assert [client.get(SCHEMA, REMOTE_ADDR="203.0.113.5").status_code
            for _ in range(2)] == [200, 200]
    assert_throttled(client.get(SCHEMA, REMOTE_ADDR="203.0.113.5"))
    # Another address is not held back; a forged X-Forwarded-For does not make one.
    assert client.get(SCHEMA, REMOTE_ADDR="203.0.113.6").status_code == 200
    assert_throttled(client.get(SCHEMA, REMOTE_ADDR="203.0.113.5",
                                HTTP_X_FORWARDED_FOR="198.51.100.1"))
    limited.shift(61)
    assert client.get(SCHEMA, REMOTE_ADDR="203.0.113.5").status_code == 200


def test_a_signed_in_caller_is_not_counted_by_ip(limited, member):
    anonymous = APIClient()
    for _ in range(2):
        anonymous.get(SCHEMA)
    assert anonymous.get(SCHEMA).status_code == 429
    client, _ = token_client(member)
    assert client.get(SCHEMA).status_code == 200


def test_with_the_rates_off_nothing_is_throttled(limited, member, settings):
    settings.API_RATE_TOKEN = None
    client, _ = token_client(member)
    assert {client.get(LIST).status_code for _ in range(6)} == {200}


def test_every_operation_documents_the_429(db):
    schema = APIClient().get(SCHEMA, {"format": "json"}).json()
    operations = [(path, method, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items()]
    assert operations
    missing = [f"{method} {path}" for path, method, operation in operations
               if "429" not in operation["responses"]]
    assert missing == []


# Guessing keys: failed token authentications are counted per IP.

GUESSER, NEIGHBOUR = "198.51.100.7", "198.51.100.8"


@pytest.fixture
def guessing(limited, settings):
    settings.API_RATE_TOKEN = None
    settings.API_RATE_ANONYMOUS = None
    settings.API_RATE_TOKEN_FAILURES = "4/minute"
    return limited


def guess(client, key: str = "mf_wrong", ip: str = GUESSER):
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(LIST, REMOTE_ADDR=ip)


def test_wrong_keys_from_one_ip_are_a_429_past_the_limit(guessing, redis_url):
    client = APIClient()
    wrong = [guess(client, f"mf_guess{n}") for n in range(4)]
    assert [response.status_code for response in wrong] == [401, 401, 401, 401]
    assert_throttled(guess(client, "mf_guess5"))
    # Malformed headers count too, and are held back alike.
    client.credentials(HTTP_AUTHORIZATION="Token two parts")
    assert_throttled(client.get(LIST, REMOTE_ADDR=GUESSER))
    # Counted in Redis, by IP.
    keys = redis.Redis.from_url(redis_url).keys("*throttle_token_failures_*")
    assert [key.decode().split("throttle_token_failures_")[1] for key in keys] == [GUESSER]


def test_a_right_key_from_a_throttled_ip_is_a_429_too(guessing, member):
    """Otherwise the one 200 among the 429s would tell a guesser which key is right."""
    right, _ = token_client(member)
    key = right._credentials["HTTP_AUTHORIZATION"].split()[1]
    client = APIClient()
    assert guess(client, key).status_code == 200
    for _ in range(4):
        assert guess(client).status_code == 401
    assert_throttled(guess(client, key))
    # From another address the key works, and so does a session from the guesser's.
    assert guess(client, key, ip=NEIGHBOUR).status_code == 200
    session = APIClient()
    session.force_authenticate(user=member)
    assert session.get(LIST, REMOTE_ADDR=GUESSER).status_code == 200


def test_right_keys_are_not_counted_and_the_window_moves_on(guessing, member):
    right, _ = token_client(member)
    key = right._credentials["HTTP_AUTHORIZATION"].split()[1]
    client = APIClient()
    for _ in range(3):
        assert guess(client).status_code == 401
    assert {guess(client, key).status_code for _ in range(10)} == {200}
    assert guess(client).status_code == 401  # the fourth failure
    guessing.shift(30)
    response = guess(client, key)
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "detail": "Request was throttled. Expected available in 30 seconds.", "errors": {}}
    guessing.shift(31)  # a minute after the first failure
    assert guess(client, key).status_code == 200


def test_revoked_keys_count_as_failures(guessing, member):
    from accounts.services import token_revoke
    client, token = token_client(member)
    token_revoke(user=member, token=token)
    assert [client.get(LIST).status_code for _ in range(4)] == [401] * 4
    assert_throttled(client.get(LIST))


def test_the_failure_limit_can_be_turned_off(guessing, settings):
    settings.API_RATE_TOKEN_FAILURES = None
    client = APIClient()
    assert {guess(client).status_code for _ in range(8)} == {401}
