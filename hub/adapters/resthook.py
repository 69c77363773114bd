"""FHIR Subscriptions' rest-hook channel: POSTs a notification (an id-only Bundle: no
content, no patient data) to the subscriber's endpoint, signed with HMAC-SHA256 under the
secret the operator registered for that client, so the receiver can tell it came from
the hub. A 5xx, a 429 or no answer is transient (retried with backoff); any other 4xx is
permanent (dead-lettered)."""

from __future__ import annotations

import hashlib
import hmac

import aiohttp

from .base import PermanentSendError, TransientSendError

SIGNATURE = "X-CCR-Signature"  # "sha256=<hex of HMAC-SHA256(secret, timestamp + '.' + body)>"
TIMESTAMP = "X-CCR-Timestamp"  # seconds since the epoch, as signed


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class RestHook:
    def __init__(self, *, timeout: float = 10.0):
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, *, secret: bytes, timestamp: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Content-Type": "application/fhir+json", TIMESTAMP: timestamp,
                   SIGNATURE: signature(secret, timestamp, body)}
        try:
            async with self._session.post(url, data=body, headers=headers) as r:
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as e:
            raise TransientSendError(f"no answer from the endpoint ({type(e).__name__})") \
                from None
        if status == 429 or status >= 500:
            raise TransientSendError(f"the endpoint answered {status}", status=status)
        if status >= 300:
            raise PermanentSendError(f"the endpoint answered {status}", status=status)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
