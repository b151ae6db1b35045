"""An SMTP sink for the digest benchmark (bench/digest.py): aiosmtpd in a process of its own,
counting every message it accepts per recipient and per Message-ID.

    python bench/harness/smtp_sink.py      # prints {"port": N}, then answers JSON lines

Commands on stdin, one JSON object a line, each answered by one line on stdout:
`{"cmd": "count"}` → received so far and the time (time.time()) of the last one;
`{"cmd": "tally"}` → everything (`Tally.summary()`); `{"cmd": "reset"}`; `{"cmd": "quit"}`.

`Tally` and `Sink` know nothing of sockets, so tests can check the counting without a server.
"""

import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path


class Tally:
    """What the sink received: per recipient, per Message-ID, and when the last one came."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.received = 0
            self.first = None
            self.last = None
            self.by_recipient: Counter[str] = Counter()
            self.by_message_id: Counter[str] = Counter()
            # (recipient, Message-ID): each delivery's row names the one it was sent with.
            self.pairs: list[tuple[str, str]] = []

    def add(self, recipients: list[str], message_id: str, at: float) -> None:
        with self.lock:
            self.received += 1
            self.first = at if self.first is None else self.first
            self.last = at
            self.by_message_id[message_id] += 1
            for recipient in recipients:
                recipient = recipient.lower()
                self.by_recipient[recipient] += 1
                self.pairs.append((recipient, message_id))

    def count(self) -> dict:
        with self.lock:
            return {"received": self.received, "first": self.first, "last": self.last}

    def summary(self) -> dict:
        """Everything, with the duplicates counted: the emails beyond the first each
        recipient got, and Message-IDs seen more than once."""
        with self.lock:
            return {
                "received": self.received, "first": self.first, "last": self.last,
                "by_recipient": dict(self.by_recipient),
                "duplicates": sum(n - 1 for n in self.by_recipient.values() if n > 1),
                "repeated_message_ids": sum(n - 1 for n in self.by_message_id.values()
                                            if n > 1),
                "pairs": self.pairs,
            }


def check(summary: dict, expected: dict[str, str]) -> dict:
    """The sink's tally against what should have arrived: `expected` maps each recipient to
    the Message-ID of their delivery row. Duplicates (emails beyond one per recipient),
    missing recipients, unexpected ones, and recipients whose email carried another
    Message-ID than their row."""
    got = summary["by_recipient"]
    received_ids = dict(summary["pairs"])
    wanted = {email.lower(): message_id for email, message_id in expected.items()}
    return {
        "duplicates": summary["duplicates"],
        "missing": sorted(set(wanted) - set(got)),
        "unexpected": sorted(set(got) - set(wanted)),
        "wrong_message_id": sorted(email for email, message_id in wanted.items()
                                   if email in received_ids
                                   and received_ids[email] != message_id),
    }


class Sink:
    """The aiosmtpd handler: one count per accepted message, from its headers only."""

    def __init__(self, tally: Tally):
        self.tally = tally
        self.parser = BytesHeaderParser()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        headers = self.parser.parsebytes(envelope.original_content or envelope.content)
        # A long Message-ID is folded onto the next line ("Message-ID:\n <…>"): unfolded.
        message_id = "".join(str(headers.get("Message-ID", "")).split())
        self.tally.add(list(envelope.rcpt_tos), message_id, time.time())
        return "250 OK"


class SinkProcess:
    """The SMTP sink's process, spoken to one JSON line at a time."""

    def __init__(self, log: Path):
        self.log = open(log, "ab")  # noqa: SIM115 (closed in close())
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, our sink)
            [sys.executable, str(Path(__file__).resolve())], text=True, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log)
        self.port = self._read()["port"]

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the SMTP sink stopped; see its log")
        return json.loads(line)

    def ask(self, **request) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.ask(cmd="quit")
                self.process.wait(timeout=10)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.log.close()


def serve() -> None:
    from aiosmtpd.controller import Controller

    tally = Tally()
    # A free port from the system (the controller checks it is up by connecting to it, so
    # port 0 will not do).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(tally), hostname="127.0.0.1", port=port,
                            data_size_limit=10 * 1024 * 1024)
    controller.start()
    print(json.dumps({"port": port}), flush=True)
    try:
        for line in sys.stdin:
            request = json.loads(line)
            command = request.get("cmd")
            if command == "count":
                answer = tally.count()
            elif command == "tally":
                answer = tally.summary()
            elif command == "reset":
                tally.reset()
                answer = {"ok": True}
            elif command == "quit":
                print(json.dumps({"ok": True}), flush=True)
                break
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    serve()
