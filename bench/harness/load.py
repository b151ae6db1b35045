"""A bounded load generator: a fixed number of connections, each a thread sending one GET
after another for a fixed time, keeping the connection open when the server allows it
(gunicorn's sync workers close it after each response; http.client then reconnects, and that
cost is part of what both the app and the floor pay)."""

import http.client
import json
import re
import threading
import time
from dataclasses import dataclass

from . import stats

INCIDENT_LINK = re.compile(r'href="/incidents/([0-9a-f-]{36})/"')


@dataclass(frozen=True)
class Load:
    """What a bounded load measured."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return stats.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return stats.p99(self.latencies_ms)


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def fetch(port: int, path: str, headers: dict[str, str], *,
          keep: bool = False) -> tuple[int, int, float, bytes]:
    """One GET read to its end a block at a time (a streamed CSV): status, bytes, seconds
    from sending to the last byte, and the body when `keep`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    kept, size = [], 0
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        while block := response.read(65536):
            size += len(block)
            if keep:
                kept.append(block)
        return response.status, size, time.perf_counter() - started, b"".join(kept)
    finally:
        conn.close()


def result_ids(page: str) -> list[str]:
    """The ids of an API page's results, in order (the API's and the floor's)."""
    try:
        return [str(row["id"]) for row in json.loads(page)["results"]]
    except (ValueError, KeyError, TypeError):
        return []


def incident_ids(page: str) -> list[str]:
    """The incidents a list page links to, in order (the app's and the floor's rows)."""
    seen = []
    for public_id in INCIDENT_LINK.findall(page):
        if public_id not in seen:
            seen.append(public_id)
    return seen


def drive(port: int, path: str, headers: dict[str, str], *, connections: int,
          seconds: float) -> Load:
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    start = threading.Barrier(connections + 1)
    deadline = [0.0]

    def run(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline[0]:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            if ok:
                latencies[slot].append((time.perf_counter() - t0) * 1000)
            else:
                errors[slot] += 1
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    # Requests in flight at the deadline finish and count: the elapsed time includes them.
    elapsed = time.perf_counter() - began
    everything = [ms for slot in latencies for ms in slot]
    return Load(requests=len(everything), errors=sum(errors), seconds=elapsed,
                latencies_ms=everything)
