"""The project's Redis cache backend: Django's, with one redis client per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every command, and each one copies
redis-py's table of response callbacks: about 0.2 ms of CPU a command. An API request makes
three (the failed-token allowance, then its own allowance read and written), so a tenth of
a short request went on clients thrown away at once. A `redis.Redis` keeps no state of its
own between commands (the pool holds the connections) and is safe to share between threads.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


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


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients
