"""An HTTP gateway the hub posts notices to (SMS, voice): one aiohttp session, opened on
the first send, and one reading of a gateway's answer. A 429 or 5xx, no answer, or an
answer that is not a JSON object is transient (the job retries, after the gateway's
Retry-After when it gives one); any other refusal is permanent."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar

import aiohttp

from .base import PermanentSendError, TransientSendError


def idempotency_key(key: str) -> str:
    """The notice's key as the gateway sees it: a digest, so it names no referral."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """A gateway's Retry-After in seconds (the delay form; a date or nonsense is ignored),
    at most an hour."""
    try:
        seconds = float(headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(seconds, 3600.0) if seconds >= 0 else None


class GatewayClient:
    """What an HTTP gateway's sender shares: the session, closing it, and posting."""

    gateway: ClassVar[str]  # how errors name it: "the SMS gateway"

    def __init__(self, timeout: float):
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(self, url: str, **kwargs: Any) -> dict:
        try:
            async with self._client().post(url, **kwargs) as r:
                if r.status == 429 or r.status >= 500:
                    raise TransientSendError(f"{self.gateway} answered {r.status}",
                                             status=r.status,
                                             retry_after=retry_after(r.headers))
                if r.status >= 400:
                    raise PermanentSendError(f"{self.gateway} refused ({r.status})",
                                             status=r.status)
                doc = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as e:
            raise TransientSendError(f"{self.gateway} is unreachable: {type(e).__name__}") \
                from None
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise TransientSendError(f"{self.gateway} answered something unreadable")
        return doc
