"""Running the hub: `serve` (the web server), `worker` (background jobs) and `run` (the
development set-up: embedded Valkey, a local mail sink, web and worker together)."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from hub.config import Settings
from hub.logs import setup_logging
from hub.loops import Guard
from hub.supervisor import Supervisor

from .output import emit
from .problems import EXIT_CONFIG, EXIT_OK, EXIT_USAGE, Problem
from .settings import settings_from


def cmd_serve(args: argparse.Namespace) -> int:
    from hub.build import hub_key
    from hub.web.app import create_app, failed, serving

    settings = settings_from(args)
    if settings.redis_url is None:
        raise Problem("set HUB_REDIS_URL to the Redis the hub keeps its records in "
                      "(or use 'hub run' for an embedded one)", EXIT_CONFIG)
    if args.with_worker and (args.processes > 1 or settings.mode != "dev"):
        raise Problem("--with-worker is for one dev-mode process: in production run 'hub "
                      "worker' (one or more) beside 'hub serve'", EXIT_USAGE)
    hub_key(settings)  # production refuses to start without it, before anything listens
    setup_logging(settings.log_level)
    if args.processes > 1:
        from .prefork import serve_forked

        return serve_forked(lambda: serving(create_app(settings), Guard()), settings.host,
                            settings.port, args.processes, failed=failed)
    guard = Guard()
    stop = _worker_beside(settings, guard) if args.with_worker else None
    try:
        web.run_app(serving(create_app(settings), guard), host=settings.host,
                    port=settings.port, print=None)
    finally:
        if stop is not None:
            stop()
    _exit_if_failed(guard)
    return EXIT_OK


def _exit_if_failed(guard: Guard) -> None:
    if guard.failure is not None:
        raise Problem(f"stopped because {guard.failure} (the log above has the details); "
                      "its supervisor should start it again")


def _worker_beside(settings: Settings, guard: Guard) -> Callable[[], None]:
    from hub.worker import start_beside_server

    return start_beside_server(settings, guard)


def cmd_bridge(args: argparse.Namespace) -> int:
    """The hospital's bridge (hub/bridge): its settings from HUB_BRIDGE_*."""
    from pydantic import ValidationError

    from hub.bridge.run import serve
    from hub.bridge.settings import BridgeSettings
    from hub.crypto import TrustError

    try:
        settings = BridgeSettings(**({"port": args.port} if args.port else {}))
    except ValidationError as e:
        first = e.errors()[0]
        raise Problem(f"HUB_BRIDGE_{str(first['loc'][0]).upper()}: {first['msg']}",
                      EXIT_CONFIG) from None
    setup_logging(settings.log_level)
    try:
        serve(settings)
    except (OSError, TrustError) as e:
        raise Problem(f"the bridge cannot start: {e}", EXIT_CONFIG) from None
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Exits non-zero when one of its loops failed (a Redis outage is waited out, not a
    failure), so that a supervisor set to restart on failure starts it again."""
    from hub.build import hub_key
    from hub.worker import run_worker

    settings = settings_from(args)
    if settings.redis_url is None:
        raise Problem("set HUB_REDIS_URL to the hub's Redis", EXIT_CONFIG)
    if args.alive:
        return _alive(settings, settings.redis_url, args.json)
    hub_key(settings)  # its sealer signs the audit checkpoints
    setup_logging(settings.log_level)
    guard = Guard()
    run_worker(settings, burst=args.burst, ticker=not args.no_ticker, guard=guard)
    _exit_if_failed(guard)
    return EXIT_OK


def _alive(settings: Settings, redis_url: str, as_json: bool) -> int:
    """A container's health check: a worker of this host is registered on the hub's queue
    (RQ drops a worker that stops answering from the registry)."""
    from rq import Queue, Worker

    from hub.store.connection import jobs_redis_at
    from hub.worker import queue_name

    here = socket.gethostname()
    queue = Queue(queue_name(settings), connection=jobs_redis_at(redis_url))
    mine = [w.name for w in Worker.all(queue=queue) if w.hostname == here]
    if not mine:
        raise Problem(f"no worker of this host ({here}) is registered on {queue.name}")
    emit(as_json, {"host": here, "queue": queue.name, "workers": mine},
         f"{len(mine)} worker(s) of {here} on {queue.name}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Development: an embedded Valkey unless HUB_REDIS_URL is set, a mail sink and (unless
    a gateway is set) an SMS sink, demo tokens, then the worker and the web server together."""
    from hub.embedded import start_embedded
    from hub.mailsink import start_mail_sink
    from hub.web.app import create_app, serving

    settings = settings_from(args)
    setup_logging(settings.log_level)
    valkey = None
    redis_url = settings.redis_url
    if redis_url is None:
        valkey = start_embedded(settings.data_dir / "valkey", port=settings.embedded_redis_port)
        redis_url = valkey.connection_url
        settings = settings.model_copy(update={"redis_url": redis_url})
    mail = start_mail_sink(settings.data_dir / "mail", settings.smtp_port)
    if not settings.sms_gateway_url:  # texts kept under var/sms/, not dead-lettered
        settings = settings.model_copy(update={"sms_provider": "sink"})
    worker = Supervisor("worker", [sys.executable, "-m", "hub.cli", "worker"],
                        {**os.environ, "HUB_REDIS_URL": redis_url,
                         "HUB_SMS_PROVIDER": settings.sms_provider,
                         "HUB_DATA_DIR": str(settings.data_dir),
                         "HUB_CCR_DIR": str(settings.ccr_dir),
                         "HUB_PUBLIC_BASE_URL": settings.public_base_url}).start()
    guard = Guard()
    try:
        tokens = asyncio.run(_demo_tokens(settings))
        _welcome(settings, tokens)
        web.run_app(serving(create_app(settings), guard), host=settings.host,
                    port=settings.port, print=None)
    finally:
        worker.stop()
        mail.stop()
        if valkey is not None:
            valkey.stop()
    _exit_if_failed(guard)
    return EXIT_OK


def hub_command() -> str:
    """How to run `hub` from here: 'hub' when it is on the PATH, else this one's path
    ('.venv/bin/hub' in a fresh clone)."""
    script = Path(sys.executable).parent / "hub"
    found = shutil.which("hub")
    if found and Path(found).resolve() == script.resolve():
        return "hub"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _welcome(settings: Settings, tokens: list[tuple[str, str]]) -> None:
    base = settings.public_base_url
    redis = urlsplit(settings.redis_url or "")
    shown = redis._replace(netloc=redis.netloc.rpartition("@")[2]).geturl()  # no password
    print(f"CCR Hub is running at {base}  (Redis: {shown})")
    print(f"  health: {base}/healthz   API: {base}/v1/openapi.json   docs: docs/api.md")
    print(f"  pages: {base}/signin (paste a token below: the dashboard, the inbox, sending)")
    print(f"  notices are kept here, not sent: mail in {settings.data_dir / 'mail'}/ "
          f"(SMTP on {settings.smtp_host}:{settings.smtp_port})")
    if settings.sms_provider == "sink":
        print(f"  texts (SMS) in {settings.data_dir / 'sms'}/")
    else:
        print(f"  texts (SMS) go out through {settings.sms_provider} at "
              f"{settings.sms_gateway_url}")
    print(f"Demo people (dev only; tokens also in {settings.data_dir / 'demo-tokens.txt'}):")
    for person, token in tokens:
        print(f"  {person:<22} {token}")
    homes = settings.data_dir / "demo" / "homes"
    print(f"Each has a ready 'hub' home: HUB_HOME={homes}/harbor-intake {hub_command()} inbox")
    print("Try: make demo   (plays a referral from the hospital to the shelter)", flush=True)


async def _demo_tokens(settings: Settings) -> list[tuple[str, str]]:
    from hub.build import build_services
    from hub.demo import prepare_demo

    services = build_services(settings)
    try:
        out = await prepare_demo(services, settings.data_dir, settings.public_base_url)
    finally:
        await services.close()
    path = settings.data_dir / "demo-tokens.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("".join(f"{person} {token}\n" for person, token in out))
    return out


def cmd_demo(args: argparse.Namespace) -> int:
    """Play the scripted story against the hub that 'hub run' (make run) started."""
    from hub.demo import homes, play

    settings = settings_from(args)
    if not homes(settings.data_dir).exists():
        raise Problem("start the hub first with 'make run' (or 'hub run') in another terminal")
    steps: list[str] = []
    asyncio.run(play(settings.data_dir, say=steps.append if args.json else print))
    if args.json:
        emit(True, {"steps": steps}, "")
    return EXIT_OK
