"""The notice outbox in Redis: an attempt's outcome is recorded only on a notice that is
there. After a failover lost a notice committed on the old primary, recording its send on
the new one must not leave a stub of outcome fields that every reader of notices (the
dashboard's referral page, the engine itself) would then trip over."""

from __future__ import annotations

from hub.store import Store


async def test_an_outcome_for_a_notice_that_is_not_there_leaves_no_stub(store: Store) -> None:
    k = store.keys
    await store.redis.zadd(k.inflight(k.deliveries()), {"lost-notice": 100.0})
    found = await store.notices.update("lost-notice", {"status": "sent", "attempts": "1"},
                                       release=True, sent_as="sms-1")
    assert found is False
    assert await store.notices.get("lost-notice") is None
    assert await store.notices.sent_as("sms-1") == []
    assert await store.redis.zscore(k.inflight(k.deliveries()), "lost-notice") is None


async def test_an_outcome_is_recorded_on_a_notice_that_is_there(store: Store) -> None:
    k = store.keys
    await store.redis.hset(k.notice("n1"), mapping={"status": "sending", "to": "x@y.org"})
    assert await store.notices.update("n1", {"attempts": "2", "last_error": "421"},
                                      retry_at=500.0)
    assert (await store.notices.get("n1")).attempts == 2
    assert await store.redis.zscore(k.deliveries(), "n1") == 500.0
    assert await store.notices.update("n1", {"status": "sent"}, release=True, sent_as="sms-9")
    assert await store.notices.sent_as("sms-9") == ["n1"]
