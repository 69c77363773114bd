"""Web push to a person's signed-in browsers (a phone's too), with pywebpush: VAPID-signed,
the payload encrypted to each browser's subscription (RFC 8291, aes128gcm), so the push
service carries only ciphertext. The payload is content-free even so: the hub's name, the
notice's push.txt in the person's language (no reference, no agency) and a link to the
inbox. A person's subscriptions, one per device, are kept by the hub (services/push.py,
the SubscriptionBook here); a push service's 404 or 410 means a subscription is gone, and it
is dropped. A person with none left (or none at all) is reached on their next contact."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar, Protocol

import aiohttp
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush_async

from hub.config import Settings, read_secret
from hub.reports import Inbound, Receiver

from .base import ContactField, Notice, PermanentSendError, Sent, TransientSendError, Words
from .render import Rendered

GONE = (404, 410)  # the push service no longer knows the subscription
TTL = 4 * 3600  # seconds a push service keeps a push for a browser that is offline


class SubscriptionBook(Protocol):
    """Where a person's browsers' push subscriptions are kept (services/push.py)."""

    async def of(self, person: str) -> Mapping[str, Mapping[str, object]]:
        """Each of the person's subscriptions by device id (hex)."""

    async def drop(self, person: str, device: str) -> None:
        """Forget a subscription the push service says is gone."""


def vapid_key(settings: Settings) -> Vapid | None:
    """The VAPID key (HUB_VAPID_PRIVATE_KEY_FILE, PEM), or None: no web push."""
    pem = read_secret(settings.vapid_private_key_file)
    return Vapid.from_pem(pem.encode()) if pem else None


def vapid_public_key(settings: Settings) -> str | None:
    """The key a browser subscribes with (applicationServerKey): base64url, uncompressed."""
    key = vapid_key(settings)
    if key is None:
        return None
    raw = key.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64urlencode(raw)


class WebPush:
    kind: ClassVar[str] = "push"
    # { kind = "push" }: the person's subscribed browsers
    contact_field: ClassVar[ContactField] = "person"
    contact_rule: ClassVar[str] = ("a push channel has neither 'address' nor 'number': it "
                                   "reaches the browsers the person turned notices on in "
                                   "(the device page)")
    # push services report nothing back but their answer
    receivers: ClassVar[tuple[type[Receiver], ...]] = ()
    inbound: ClassVar[tuple[type[Inbound], ...]] = ()
    claims: ClassVar[bool] = False

    @staticmethod
    def words(rendered: Rendered) -> Words:
        return Words("CCR Hub", rendered.part("push.txt"))

    @classmethod
    def from_settings(cls, settings: Settings, book: SubscriptionBook | None = None
                      ) -> WebPush | None:
        key = vapid_key(settings)
        if key is None or book is None:
            return None
        return cls(key, settings.vapid_subject, book, settings.public_base_url)

    def __init__(self, key: Vapid, subject: str, book: SubscriptionBook, base_url: str, *,
                 timeout: float = 10.0):
        self._key, self._subject, self._book = key, subject, book
        self._inbox = f"{base_url.rstrip('/')}/inbox"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def payload(self, notice: Notice) -> str:
        return json.dumps({"title": notice.subject, "body": notice.text, "link": self._inbox,
                           "lang": notice.language})

    async def send(self, notice: Notice) -> Sent:
        """Push to every browser of the person (``notice.to``): sent when one took it."""
        subscriptions = await self._book.of(notice.to)
        if not subscriptions:
            raise PermanentSendError("no browser of this person takes push notices")
        failures: list[TransientSendError | PermanentSendError] = []
        taken = 0
        for device, subscription in subscriptions.items():
            try:
                await self._push(dict(subscription), self.payload(notice))
                taken += 1
            except PermanentSendError as e:
                if e.status in GONE:
                    await self._book.drop(notice.to, device)
                failures.append(e)
            except TransientSendError as e:
                failures.append(e)
        if taken:
            return Sent(provider_id="")
        transient = [f for f in failures if isinstance(f, TransientSendError)]
        raise transient[0] if transient else failures[0]

    async def _push(self, subscription: dict, data: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            await webpush_async(subscription, data, vapid_private_key=self._key,
                                vapid_claims={"sub": self._subject}, ttl=TTL, timeout=10.0,
                                headers={"Urgency": "high"}, aiohttp_session=self._session)
        except WebPushException as e:
            status = getattr(e.response, "status", None)
            if status is not None and (status == 429 or status >= 500):
                raise TransientSendError(f"the push service answered {status}",
                                         status=status) from None
            raise PermanentSendError(f"the push service refused ({status})",
                                     status=status) from None
        except (aiohttp.ClientError, TimeoutError) as e:
            raise TransientSendError(f"push service unreachable: {type(e).__name__}") \
                from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
