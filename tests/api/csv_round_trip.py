"""What the CSV tests of the lists share: read a `?format=csv` answer, walk every JSON page of
the same list, and check that the CSV holds what the pages hold, in the same order."""

import csv
import io

from django.http import StreamingHttpResponse


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text, newline="")))


def json_pages(client, url: str, params: dict) -> list[dict]:
    """Every row of the list, page after page (20 a page), by following `next`."""
    rows, query = [], {**params, "page_size": 20}
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.json()
        body = response.json()
        rows += body["results"]
        url, query = body["next"], None
    return rows


def as_cell(value) -> str:
    """What the CSV must hold for a JSON value (the rules of api/csv.py, written again)."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):  # a nested object, as its slug (an organisation)
        text = value["slug"]
    elif isinstance(value, list):  # ids and slugs, or objects by their link (sources)
        text = "|".join(item["url"] if isinstance(item, dict) else item for item in value)
    else:
        text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def round_trip(client, url: str, params: dict) -> list[dict]:
    """The list at `url` with `params` as CSV is what its JSON pages hold, in their order:
    the JSON field names as the header, then a row a object. Returns the JSON rows."""
    rows = json_pages(client, url, params)
    table = read_csv(client.get(url, {**params, "format": "csv"}))
    assert len(table) - 1 == len(rows) > 0
    assert table[0] == list(rows[0])  # the JSON field names, in order
    assert table[1:] == [[as_cell(value) for value in row.values()] for row in rows]
    return rows
