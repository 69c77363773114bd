"""EmailSender against real SMTP servers on 127.0.0.1 proves: what a recipient receives
(From/To/Subject, a plain-text part with an HTML alternative, accents intact, a Message-ID
fixed by the idempotency key); how every refusal, hang-up or silence is classified
(transient: try later; permanent: retrying will not help); authentication; and TLS, both
STARTTLS and implicit, with a certificate from a private CA.

Most TLS deliveries here trust the test CA process-wide through SSL_CERT_FILE (which
OpenSSL reads when aiosmtplib builds its default context); one names it with ``ca_file``,
as HUB_SMTP_CA_FILE does. Sessions are reused across notices and replaced when the server
has closed them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hub.adapters.base import PermanentSendError, Sent, TransientSendError
from hub.adapters.email import EmailSender, message_id
from tests.adapters.loopback import LOOPBACK, free_port, make_notice

SENDER = "CCR Hub <hub@example.org>"
USER, PASSWORD = "hub", "correct horse battery"
TIMEOUT = 0.5
# aiosmtpd warns when AUTH is allowed without TLS; on loopback that is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and whether it came over TLS;
    ``refuse_rcpt`` / ``refuse_data`` make it answer RCPT or DATA with that reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.over_tls: list[bool] = []
        self.refuse_rcpt: str | None = None
        self.refuse_data: str | None = None
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.messages.append(email.message_from_bytes(envelope.original_content,
                                                      policy=email.policy.default))
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = auth_data == LoginPassword(USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def channel_to(port: int, **options) -> EmailSender:
    return EmailSender(LOOPBACK, port, sender=SENDER, **{"timeout": 2, **options})


@dataclass
class Smtp:
    box: Mailbox
    port: int

    def channel(self, **options) -> EmailSender:
        return channel_to(self.port, **options)


@pytest.fixture
def smtp() -> Iterator[Callable[..., Smtp]]:
    """Start real aiosmtpd servers (Controller keyword arguments pass through)."""
    controllers: list[Controller] = []

    def start(**options) -> Smtp:
        box = Mailbox()
        controller = Controller(box, hostname=LOOPBACK, port=free_port(), **options)
        controller.start()
        controllers.append(controller)
        return Smtp(box, controller.port)

    yield start
    for controller in controllers:
        controller.stop()


HANG_UP = "<hang up>"
Scripted = Callable[..., Awaitable[int]]


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    """Start bare SMTP servers that follow a script: a greeting (None: accept the
    connection and never say a word) and a reply per command verb; HANG_UP closes the
    connection instead of replying. Returns the port."""
    servers: list[asyncio.Server] = []
    release = asyncio.Event()

    async def start(greeting: str | None = "220 scripted", **replies: str) -> int:
        replies = {"EHLO": "250 scripted", "QUIT": "221 bye", **replies}

        async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if greeting is None:
                    await release.wait()
                    return
                writer.write(f"{greeting}\r\n".encode())
                while line := await reader.readline():
                    reply = replies.get(line.split()[0].decode().upper(), "250 OK")
                    if reply == HANG_UP:
                        return
                    writer.write(f"{reply}\r\n".encode())
                    await writer.drain()
            finally:
                writer.close()

        server = await asyncio.start_server(talk, LOOPBACK, 0)
        servers.append(server)
        return server.sockets[0].getsockname()[1]

    yield start
    release.set()
    for server in servers:
        server.close()
        await server.wait_closed()
    await asyncio.sleep(0.01)  # let the released conversations close their sockets


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(LOOPBACK).configure_cert(context)
    return context


@pytest.fixture
def trusted_ca(ca: trustme.CA, tmp_path, monkeypatch) -> None:
    """Make every default SSL context in this process trust the test CA."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


# What arrives


async def test_a_notice_arrives_with_sender_recipient_subject_text_and_html_alternative(smtp):
    server = smtp()
    notice = make_notice()
    await server.channel().send(notice)
    [message] = server.box.messages
    assert (message["From"], message["To"]) == (SENDER, notice.to)
    assert message["Subject"] == notice.subject
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == notice.text
    assert message.get_body(("html",)).get_content().strip() == notice.html


async def test_a_notice_without_html_arrives_as_plain_text_only(smtp):
    server = smtp()
    await server.channel().send(make_notice(html=None))
    [message] = server.box.messages
    assert message.get_content_type() == "text/plain"


async def test_the_message_id_is_fixed_by_the_idempotency_key(smtp):
    server = smtp()
    channel = server.channel()
    sent = [await channel.send(make_notice(key)) for key in ("k-1", "k-1", "k-2")]
    ids = [m["Message-ID"] for m in server.box.messages]
    assert ids == [message_id("k-1"), message_id("k-1"), message_id("k-2")]
    assert ids[0] != ids[2]
    assert sent == [Sent(provider_id=i) for i in ids]


# How refusals are classified


@pytest.mark.parametrize("stage", ["refuse_rcpt", "refuse_data"])
@pytest.mark.parametrize("reply", ["421 4.3.2 shutting down", "451 4.3.0 try again later"])
async def test_a_temporary_refusal_is_transient(smtp, stage, reply):
    server = smtp()
    setattr(server.box, stage, reply)
    with pytest.raises(TransientSendError):
        await server.channel().send(make_notice())


@pytest.mark.parametrize("stage", ["refuse_rcpt", "refuse_data"])
async def test_a_definitive_refusal_is_permanent(smtp, stage):
    server = smtp()
    setattr(server.box, stage, "550 5.1.1 no such mailbox")
    with pytest.raises(PermanentSendError):
        await server.channel().send(make_notice())


async def test_a_server_that_hangs_up_mid_conversation_is_transient(scripted):
    port = await scripted(DATA=HANG_UP)
    with pytest.raises(TransientSendError):
        await channel_to(port).send(make_notice())


async def test_a_server_that_never_answers_is_transient_within_the_timeout(scripted):
    port = await scripted(greeting=None)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TransientSendError):
        await channel_to(port, timeout=TIMEOUT).send(make_notice())
    assert loop.time() - started < TIMEOUT + 1


async def test_nothing_listening_is_transient():
    with pytest.raises(TransientSendError):
        await channel_to(free_port()).send(make_notice())


# Authentication

AUTH_SERVER = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}


async def test_the_right_credentials_are_accepted(smtp):
    server = smtp(**AUTH_SERVER)
    await server.channel(username=USER, password=PASSWORD).send(make_notice())
    assert len(server.box.messages) == 1


async def test_a_wrong_password_is_permanent(smtp):
    server = smtp(**AUTH_SERVER)
    with pytest.raises(PermanentSendError):
        await server.channel(username=USER, password="wrong").send(make_notice())
    assert server.box.messages == []


async def test_a_channel_without_credentials_is_refused_permanently(smtp):
    server = smtp(**AUTH_SERVER)
    with pytest.raises(PermanentSendError):
        await server.channel().send(make_notice())


async def test_a_temporary_authentication_failure_is_transient(scripted):
    port = await scripted(EHLO="250-scripted\r\n250 AUTH PLAIN LOGIN",
                          AUTH="454 4.7.0 Temporary authentication failure")
    with pytest.raises(TransientSendError):
        await channel_to(port, username=USER, password=PASSWORD).send(make_notice())


# TLS


@pytest.mark.usefixtures("trusted_ca")
async def test_starttls_delivers_over_tls_to_a_server_that_requires_it(smtp, server_tls):
    server = smtp(tls_context=server_tls, require_starttls=True)
    await server.channel(start_tls=True).send(make_notice())
    assert server.box.over_tls == [True]


@pytest.mark.usefixtures("trusted_ca")
async def test_implicit_tls_delivers_over_tls(smtp, server_tls):
    server = smtp(ssl_context=server_tls)
    await server.channel(use_tls=True).send(make_notice())
    assert server.box.over_tls == [True]


@pytest.mark.usefixtures("trusted_ca")
async def test_start_tls_off_still_upgrades_when_the_server_offers_starttls(smtp, server_tls):
    server = smtp(tls_context=server_tls)
    await server.channel(start_tls=False).send(make_notice())
    assert server.box.over_tls == [True]


@pytest.mark.parametrize("client, server", [
    ({"start_tls": True}, {"require_starttls": True}),
    ({"start_tls": False}, {"require_starttls": True}),
    ({"use_tls": True}, {}),
], ids=["starttls", "starttls-off-but-offered", "implicit-tls"])
async def test_a_certificate_from_an_unknown_ca_is_refused_for_good_and_nothing_is_sent(
        smtp, server_tls, client, server):
    tls = {"ssl_context": server_tls} if "use_tls" in client else {"tls_context": server_tls}
    running = smtp(**tls, **server)
    with pytest.raises(PermanentSendError, match="certificate is not trusted"):
        await running.channel(**client).send(make_notice())
    assert running.box.messages == []


async def test_a_private_ca_named_in_the_settings_is_trusted(smtp, server_tls, ca, tmp_path):
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    server = smtp(tls_context=server_tls, require_starttls=True)
    await server.channel(start_tls=True, ca_file=bundle).send(make_notice())
    assert server.box.over_tls == [True]


async def test_a_server_requiring_starttls_refuses_a_plaintext_client_permanently(scripted):
    port = await scripted(MAIL="530 5.7.0 Must issue a STARTTLS command first")
    with pytest.raises(PermanentSendError):
        await channel_to(port).send(make_notice())


# Sessions


async def test_notices_in_a_row_share_one_session(smtp):
    server = smtp()
    channel = server.channel()
    for i in range(3):
        await channel.send(make_notice(key=f"n{i}"))
    await channel.close()
    assert len(server.box.messages) == 3 and server.box.sessions == 1


async def test_a_session_the_server_closed_while_idle_is_replaced():
    box, port = Mailbox(), free_port()
    server = Controller(box, hostname=LOOPBACK, port=port)
    server.start()
    channel = channel_to(port)
    await channel.send(make_notice(key="before"))
    server.stop()  # the idle session dies with the server
    server = Controller(box, hostname=LOOPBACK, port=port)
    server.start()
    try:
        await channel.send(make_notice(key="after"))
    finally:
        await channel.close()
        server.stop()
    assert [m["Message-ID"] for m in box.messages] == [message_id("before"),
                                                       message_id("after")]
    assert box.sessions == 2
