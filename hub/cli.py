"""The `hub` command. Each subcommand is a small function; errors a user can fix are
printed as one line with what to do, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from hub.config import Settings, load_settings
from hub.errors import ConfigError, HubError
from hub.logs import setup_logging

EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_REFUSED = 0, 2, 3, 4


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in (("ccr_dir", getattr(args, "config", None)),
                                   ("port", getattr(args, "port", None))) if v is not None}
    return load_settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from hub.web.app import create_app

    settings = _settings(args)
    setup_logging(settings.log_level)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Development: an embedded Valkey unless HUB_REDIS_URL is set, then serve."""
    from hub.embedded import start_embedded
    from hub.web.app import create_app

    settings = _settings(args)
    setup_logging(settings.log_level)
    server = None
    if settings.redis_url is None:
        server = start_embedded(settings.data_dir / "valkey")
        settings = settings.model_copy(update={"redis_url": server.connection_url})
    try:
        tokens = asyncio.run(_demo_tokens(settings))
        print(f"CCR Hub is running at {settings.public_base_url}  (Redis: {settings.redis_url})")
        print(f"Health: {settings.public_base_url}/healthz   API: "
              f"{settings.public_base_url}/v1/openapi.json")
        print("Demo tokens (dev only; also in var/demo-tokens.txt):")
        for person, token in tokens:
            print(f"  {person:<28} {token}")
        web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    finally:
        if server is not None:
            server.stop()
    return EXIT_OK


async def _demo_tokens(settings: Settings) -> list[tuple[str, str]]:
    from hub.build import build_services

    services = build_services(settings)
    try:
        out = [(p.id, (await services.tokens.issue(p.id, issued_by="hub-run")).token)
               for p in services.ccr.people]
    finally:
        await services.close()
    path = settings.data_dir / "demo-tokens.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("".join(f"{person} {token}\n" for person, token in out))
    return out


def cmd_token_issue(args: argparse.Namespace) -> int:
    async def go() -> str:
        from hub.build import build_services

        services = build_services(_settings(args))
        try:
            return (await services.tokens.issue(args.person)).token
        finally:
            await services.close()

    print(asyncio.run(go()))
    print("Shown once: give it to the person; the hub keeps only its hash.", file=sys.stderr)
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    async def go() -> bool:
        from hub.build import build_services

        services = build_services(_settings(args))
        try:
            return await services.tokens.revoke(args.token_id)
        finally:
            await services.close()

    if not asyncio.run(go()):
        print(f"no token with id {args.token_id}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"revoked {args.token_id}")
    return EXIT_OK


def cmd_register_root(args: argparse.Namespace) -> int:
    async def go() -> bool:
        from hub.build import build_services

        services = build_services(_settings(args))
        try:
            return await services.directory.register_root(args.agency,
                                                          base64.b64decode(args.public_key))
        finally:
            await services.close()

    if not asyncio.run(go()):
        print(f"{args.agency} already has a root key registered", file=sys.stderr)
        return EXIT_REFUSED
    print(f"registered the root key of {args.agency}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hub", description="CCR Hub: route sealed referrals.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, fn, help_text: str, parent=sub) -> argparse.ArgumentParser:
        c = parent.add_parser(name, help=help_text, description=help_text)
        c.add_argument("--config", type=Path, help="the CCR directory (default config/example)")
        c.set_defaults(fn=fn)
        return c

    command("serve", cmd_serve, "Run the web server (needs HUB_REDIS_URL)").add_argument(
        "--port", type=int)
    command("run", cmd_run, "Development: embedded Valkey, demo tokens, web server").add_argument(
        "--port", type=int)
    admin = sub.add_parser("admin", help="Agency administration").add_subparsers(
        dest="admin", required=True, metavar="ACTION")
    command("issue-token", cmd_token_issue, "Issue an API token for a person",
            admin).add_argument("person")
    command("revoke-token", cmd_token_revoke, "Revoke an API token by its id",
            admin).add_argument("token_id")
    reg = command("register-root", cmd_register_root, "Register an agency's root public key",
                  admin)
    reg.add_argument("agency")
    reg.add_argument("public_key", help="base64 of the 32-byte Ed25519 root public key")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.fn(args)
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return EXIT_CONFIG
    except HubError as e:
        print(f"refused: {e.message}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
