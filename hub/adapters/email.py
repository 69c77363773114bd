"""Email with aiosmtplib: TLS or STARTTLS, authentication, timeouts, and a Message-ID
derived from the notice's idempotency key (so a re-sent notice is recognisably the same).
Sessions are kept open and reused (a few at a time), so a burst of notices does not pay a
connection, TLS handshake and login per message; a session that fails is dropped."""

from __future__ import annotations

import hashlib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import ClassVar

import aiosmtplib

from hub.config import Settings, read_secret
from hub.reports import Inbound, Receiver

from .base import ContactField, Notice, PermanentSendError, Sent, TransientSendError, Words
from .render import Rendered


def _untrusted_certificate(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, ssl.SSLCertVerificationError):
            return True
        error = error.__cause__ or error.__context__
    return False


IDLE_SESSIONS = 4


async def _quit(session: aiosmtplib.SMTP) -> None:
    try:
        await session.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        session.close()


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@ccr-hub>"


class EmailSender:
    kind: ClassVar[str] = "email"
    contact_field: ClassVar[ContactField] = "address"
    contact_rule: ClassVar[str] = "an email channel has an 'address' and no 'number'"
    receivers: ClassVar[tuple[type[Receiver], ...]] = ()  # a mail server reports nothing back
    inbound: ClassVar[tuple[type[Inbound], ...]] = ()
    claims: ClassVar[bool] = False  # a reply to an email claims nothing: it is not read

    @staticmethod
    def words(rendered: Rendered) -> Words:
        return Words(rendered.subject, rendered.text, rendered.html)

    @classmethod
    def from_settings(cls, settings: Settings, book: object = None) -> EmailSender:
        return cls(settings.smtp_host, settings.smtp_port, sender=settings.smtp_sender,
                   username=settings.smtp_username,
                   password=read_secret(settings.smtp_password_file),
                   start_tls=settings.smtp_starttls, use_tls=settings.smtp_implicit_tls,
                   ca_file=settings.smtp_ca_file)

    def __init__(self, host: str, port: int, *, sender: str, username: str | None = None,
                 password: str | None = None, use_tls: bool = False, start_tls: bool = False,
                 ca_file: Path | None = None, timeout: float = 10.0):
        """``use_tls``: TLS from the first byte (port 465). ``start_tls``: insist on
        STARTTLS; without it the connection is still upgraded whenever the server offers
        it. ``ca_file``: trust this CA bundle (a private CA) instead of the system's."""
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._use_tls, self._start_tls, self._timeout = use_tls, start_tls, timeout
        self._ca_file = str(ca_file) if ca_file else None
        self._idle: list[aiosmtplib.SMTP] = []  # open sessions waiting for the next notice

    def build(self, notice: Notice) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = notice.to
        message["Subject"] = notice.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(notice.key)
        message.set_content(notice.text)
        if notice.html:
            message.add_alternative(notice.html, subtype="html")
        return message

    async def _session(self) -> tuple[aiosmtplib.SMTP, bool]:
        """An open session: an idle one (True) or a new one (False)."""
        while self._idle:
            session = self._idle.pop()
            if session.is_connected:
                return session, True
        session = aiosmtplib.SMTP(hostname=self._host, port=self._port,
                                  username=self._username, password=self._password,
                                  use_tls=self._use_tls, start_tls=self._start_tls or None,
                                  cert_bundle=self._ca_file, timeout=self._timeout)
        await session.connect()
        return session, False

    async def _deliver(self, message: EmailMessage) -> None:
        session, reused = await self._session()
        try:
            await session.send_message(message)
        except aiosmtplib.SMTPServerDisconnected:
            session.close()
            if not reused:
                raise
            await self._deliver(message)  # the server had closed an idle session
            return
        except BaseException:
            session.close()
            raise
        if len(self._idle) < IDLE_SESSIONS:
            self._idle.append(session)
        else:
            await _quit(session)

    async def close(self) -> None:
        while self._idle:
            await _quit(self._idle.pop())

    async def send(self, notice: Notice) -> Sent:
        message = self.build(notice)
        try:
            await self._deliver(message)
        except aiosmtplib.SMTPRecipientsRefused as e:
            codes = [r.code for r in e.recipients]
            if all(400 <= c < 500 for c in codes):
                raise TransientSendError(f"recipient deferred ({codes})") from None
            raise PermanentSendError(f"recipient refused ({codes})") from None
        except aiosmtplib.SMTPAuthenticationError as e:
            error = TransientSendError if 400 <= e.code < 500 else PermanentSendError
            raise error(f"authentication failed ({e.code})", status=e.code) from None
        except aiosmtplib.SMTPResponseException as e:
            error = TransientSendError if 400 <= e.code < 500 else PermanentSendError
            raise error(f"the mail server answered {e.code}", status=e.code) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            if _untrusted_certificate(e):  # retrying will not make it trusted
                raise PermanentSendError("the mail server's certificate is not trusted (set "
                                         "HUB_SMTP_CA_FILE for a private CA)") from None
            raise TransientSendError(f"mail server unreachable: {type(e).__name__}") from None
        return Sent(provider_id=message["Message-ID"])
