"""Live rate limits (forum/people/throttle.py): one bucket per user across every server
process when they share Redis, this process's own otherwise, and chat goes on when
Redis is down. Every limiter here reads a fake clock: no test waits on the wall clock.

Redis is the machine's (127.0.0.1:6379); each test writes only under a key prefix or
limit name of its own and deletes what it wrote (never FLUSHALL)."""

from __future__ import annotations

import logging
import socket
import time
import uuid

import pytest
from conftest import FakeClock
from flask import Flask
from flask_babel import Babel

from forum.errors import ActionError
from forum.people import throttle

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def redis_url() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379: {exc}")
    return REDIS_URL


@pytest.fixture
def prefix(redis_url):
    """A key prefix of this test's own, emptied afterwards."""
    import redis

    prefix = f"forum-test:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def logs(caplog, monkeypatch):
    """This module's log records. Alembic's logging setup (the migrations the database
    fixture runs) disables the loggers that exist by then; a server has no such step."""
    monkeypatch.setattr(throttle.log, "disabled", False)
    with caplog.at_level(logging.WARNING, logger="forum.people.throttle"):
        yield caplog


def allowed(limiter: throttle.Limiter, user_id: int) -> bool:
    try:
        limiter.take(user_id)
    except ActionError as exc:
        assert exc.code == "rate_limited"
        return False
    return True


def refusal(limiter: throttle.Limiter, user_id: int) -> ActionError:
    with pytest.raises(ActionError) as caught:
        limiter.take(user_id)
    return caught.value


def test_a_burst_of_ten_then_one_a_second():
    clock = FakeClock()
    chat = throttle.Limiter(
        "chat", burst=10, per_second=1.0, store=throttle.MemoryStore(), clock=clock
    )
    assert all(allowed(chat, 1) for _ in range(10))
    error = refusal(chat, 1)
    assert error.code == "rate_limited" and error.extra == {"retry_after": 1}
    assert allowed(chat, 2), "another user has a bucket of their own"
    clock.advance(0.4)
    assert refusal(chat, 1).extra == {"retry_after": 1}
    clock.advance(0.6)
    assert allowed(chat, 1)
    assert not allowed(chat, 1)
    clock.advance(3)
    assert [allowed(chat, 1) for _ in range(4)] == [True, True, True, False]
    clock.advance(3600)  # a long pause refills the burst, never more
    assert sum(allowed(chat, 1) for _ in range(20)) == 10


def test_typing_waits_two_seconds_a_token():
    clock = FakeClock()
    typing = throttle.Limiter(
        "typing", burst=3, per_second=0.5, store=throttle.MemoryStore(), clock=clock
    )
    assert [allowed(typing, 1) for _ in range(4)] == [True, True, True, False]
    assert refusal(typing, 1).extra == {"retry_after": 2}
    clock.advance(2)
    assert allowed(typing, 1)


def test_the_refusal_is_in_the_users_language(app):
    clock = FakeClock()
    chat = throttle.Limiter("chat", store=throttle.MemoryStore(), clock=clock)
    for _ in range(10):
        chat.take(1)
    for lang, words in [("en", "too fast"), ("ja", "速すぎ"), ("ko", "너무"), ("zh-TW", "太快")]:
        with app.test_request_context(f"/?lang={lang}"):
            message = refusal(chat, 1).message
        assert words in message, (lang, message)


def test_processes_that_share_redis_share_the_limit(prefix):
    """Two server processes (two stores, two limiters) give a user the limit once."""
    clock = FakeClock()
    a = throttle.Limiter("chat", store=throttle.RedisStore(REDIS_URL, prefix), clock=clock)
    b = throttle.Limiter("chat", store=throttle.RedisStore(REDIS_URL, prefix), clock=clock)
    assert all(allowed(a, 7) for _ in range(6))
    assert all(allowed(b, 7) for _ in range(4))
    assert refusal(a, 7).extra == {"retry_after": 1}
    assert refusal(b, 7).extra == {"retry_after": 1}
    clock.advance(1)
    assert allowed(b, 7)
    assert not allowed(a, 7)
    clock.advance(2)
    assert [allowed(a, 7), allowed(b, 7), allowed(a, 7)] == [True, True, False]
    a.forget()
    assert all(allowed(b, 7) for _ in range(10)), "forget clears the shared buckets"


def test_processes_without_a_queue_count_alone():
    clock = FakeClock()
    a = throttle.Limiter("chat", store=throttle.MemoryStore(), clock=clock)
    b = throttle.Limiter("chat", store=throttle.MemoryStore(), clock=clock)
    assert all(allowed(a, 1) for _ in range(10))
    assert all(allowed(b, 1) for _ in range(10))


def test_apps_with_a_message_queue_use_redis(redis_url):
    """init_app: FORUM_MESSAGE_QUEUE set means the buckets are in that Redis."""
    apps = []
    for queue in (redis_url, redis_url, None):
        app = Flask(__name__)
        Babel(app)
        app.config["FORUM_MESSAGE_QUEUE"] = queue
        throttle.init_app(app)
        apps.append(app)
    one, two, alone = apps
    assert isinstance(one.extensions["forum.people.throttle"], throttle.RedisStore)
    assert isinstance(alone.extensions["forum.people.throttle"], throttle.MemoryStore)
    clock = FakeClock()
    # A limit name of this test's own: its keys are nobody else's.
    chat = throttle.Limiter(f"test-{uuid.uuid4().hex}", clock=clock)
    try:
        with one.app_context():
            assert all(allowed(chat, 3) for _ in range(10))
        with two.app_context():
            assert not allowed(chat, 3), "the other process's ten counted here"
        with alone.app_context():
            assert allowed(chat, 3), "a process without the queue counts alone"
    finally:
        with one.app_context():
            chat.forget()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chat_goes_on_when_redis_is_down(monkeypatch, logs):
    """Redis unreachable: the process counts alone, logs it once, and no one is
    refused for it."""
    monkeypatch.setattr(throttle, "RETRY_SECONDS", 0.0)  # try Redis on every action
    clock = FakeClock()
    store = throttle.RedisStore(f"redis://127.0.0.1:{free_port()}/0", "forum-test:down")
    chat = throttle.Limiter("chat", store=store, clock=clock)
    assert all(allowed(chat, 1) for _ in range(10))
    assert refusal(chat, 1).extra == {"retry_after": 1}, "still limited, in memory"
    clock.advance(1)
    assert allowed(chat, 1)
    down = [r for r in logs.records if "unreachable" in r.getMessage()]
    assert len(down) == 1, logs.text


def test_redis_back_is_logged_once_and_shared_again(prefix, monkeypatch, logs):
    import redis

    monkeypatch.setattr(throttle, "RETRY_SECONDS", 0.0)
    clock = FakeClock()
    store = throttle.RedisStore(REDIS_URL, prefix)
    chat = throttle.Limiter("chat", store=store, clock=clock)
    working = store._script

    def refused(*args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(store, "_script", refused)
    assert allowed(chat, 1) and allowed(chat, 1)
    monkeypatch.setattr(store, "_script", working)
    assert allowed(chat, 1) and allowed(chat, 1)
    messages = [r.getMessage() for r in logs.records]
    assert sum("unreachable" in m for m in messages) == 1, messages
    assert sum("reachable again" in m for m in messages) == 1, messages
    other = throttle.Limiter("chat", store=throttle.RedisStore(REDIS_URL, prefix), clock=clock)
    assert sum(allowed(other, 1) for _ in range(10)) == 8, "Redis holds the two since"


def test_a_slow_redis_does_not_hold_chat_up(monkeypatch):
    """A Redis that accepts but never answers costs at most REDIS_TIMEOUT, once per
    RETRY_SECONDS, not every message."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        port = listener.getsockname()[1]
        clock = FakeClock()
        store = throttle.RedisStore(f"redis://127.0.0.1:{port}/0", "forum-test:mute")
        chat = throttle.Limiter("chat", store=store, clock=clock)
        started = time.monotonic()
        assert all(allowed(chat, 1) for _ in range(10))
        assert time.monotonic() - started < throttle.REDIS_TIMEOUT * 3
    finally:
        listener.close()
