"""The project's Redis cache backend: Django's, with one redis client per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every command, and each one copies
redis-py's table of response callbacks: about 0.2 ms of CPU a command. An API request makes
three (the failed-token allowance, then its own allowance read and written), so a tenth of
a short request went on clients thrown away at once. A `redis.Redis` keeps no state of its
own between commands (the pool holds the connections) and is safe to share between threads.

The cache is a cache: when Redis cannot be reached, reads answer as misses and writes are
dropped, with a warning in the log, so pages keep working (more slowly) until it is back.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class ReusedClients(RedisCacheClient):
    """RedisCacheClient whose get_client answers the same client for the same pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _tolerant(method, answer):
    """`method`, answering `answer(*args, **kwargs)` when Redis is unreachable."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as error:
            logger.warning("The Redis cache is unreachable (%s): %s answers as a miss.",
                           error, method.__name__)
            return answer(*args, **kwargs)
    return call


def _default(key, default=None, *args, **kwargs):
    return default


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients

    get = _tolerant(DjangoRedisCache.get, _default)
    get_many = _tolerant(DjangoRedisCache.get_many, lambda *args, **kwargs: {})
    has_key = _tolerant(DjangoRedisCache.has_key, lambda *args, **kwargs: False)
    set = _tolerant(DjangoRedisCache.set, lambda *args, **kwargs: None)
    set_many = _tolerant(DjangoRedisCache.set_many, lambda keys, *args, **kwargs: list(keys))
    add = _tolerant(DjangoRedisCache.add, lambda *args, **kwargs: False)
    touch = _tolerant(DjangoRedisCache.touch, lambda *args, **kwargs: False)
    delete = _tolerant(DjangoRedisCache.delete, lambda *args, **kwargs: False)
    delete_many = _tolerant(DjangoRedisCache.delete_many, lambda *args, **kwargs: None)
