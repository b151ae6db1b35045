"""An SMTP server for the integration tests: aiosmtpd in a thread of the test process, on a
free port, keeping every email it accepts and able to misbehave on cue.

- `refuse_connections = n`: the next n connections are greeted with 421 (server busy).
- `refuse_mail = n`: the next n MAIL FROM commands answer 451 (try again later).
- `refuse_recipient(address, reply)`: RCPT TO that address answers `reply` (e.g. a 550).
- `hold(address)`: the first RCPT TO that address is held unanswered until `release()`: the
  sender is stuck mid-conversation, before any content, so the email is never delivered.
"""

import asyncio
import email
import email.policy
import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

# aiosmtpd logs every command at INFO: a failing test's report would drown in them.
logging.getLogger("mail.log").setLevel(logging.WARNING)

BUSY = "421 4.3.2 Service not available, try again later"
LATER = "451 4.3.0 Mail server temporarily unavailable, try again later"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One email the server accepted: the envelope's recipients and the parsed message."""

    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class Handler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.refuse_connections = 0
        self.refuse_mail = 0
        self.refused: list[str] = []
        # SMTP sessions that sent at least one MAIL FROM.
        self.sessions = 0
        self.recipient_replies: dict[str, str] = {}
        self.held_address: str | None = None
        self.holding = threading.Event()
        self.released = threading.Event()

    def take_connection_refusal(self) -> bool:
        with self.lock:
            if self.refuse_connections <= 0:
                return False
            self.refuse_connections -= 1
            self.refused.append(BUSY)
            return True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        with self.lock:
            if not getattr(session, "counted", False):
                session.counted = True
                self.sessions += 1
            if self.refuse_mail > 0:
                self.refuse_mail -= 1
                self.refused.append(LATER)
                return LATER
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.recipient_replies:
            return self.recipient_replies[address]
        if address == self.held_address and not self.holding.is_set():
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            # The sender is gone by now; whatever it would have sent never arrives.
            return BUSY
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class GatedSMTP(SMTP):
    """aiosmtpd's server, greeting with 421 instead of 220 while the handler refuses."""

    async def _handle_client(self) -> None:
        if self.event_handler.take_connection_refusal():
            await self.push(BUSY)
            self.transport.close()
            return
        await super()._handle_client()


class GatedController(Controller):
    def factory(self):
        return GatedSMTP(self.handler, **self.SMTP_kwargs)


class SMTPServer:
    """The server and what it received; use as a context manager (it stops on exit)."""

    def __init__(self) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.controller = GatedController(self.handler, hostname="127.0.0.1", port=self.port,
                                          ready_timeout=10)

    def __enter__(self) -> "SMTPServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.handler.released.set()
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def refused(self) -> list[str]:
        with self.handler.lock:
            return list(self.handler.refused)

    @property
    def sessions(self) -> int:
        with self.handler.lock:
            return self.handler.sessions

    def per_recipient(self) -> Counter:
        """How many emails each envelope recipient got."""
        return Counter(address for each in self.received for address in each.rcpt_tos)

    def to(self, address: str) -> list[EmailMessage]:
        return [each.message for each in self.received if address in each.rcpt_tos]

    def refuse(self, *, connections: int = 0, mail: int = 0) -> None:
        with self.handler.lock:
            self.handler.refuse_connections = connections
            self.handler.refuse_mail = mail

    def refuse_recipient(self, address: str, reply: str) -> None:
        self.handler.recipient_replies[address] = reply

    def hold(self, address: str) -> None:
        self.handler.held_address = address

    def wait_until_holding(self, timeout: float) -> bool:
        return self.handler.holding.wait(timeout)

    def release(self) -> None:
        self.handler.released.set()
