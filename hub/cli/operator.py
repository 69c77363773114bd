"""The operator's and agency admin's commands that act on the hub's store directly (run on
the hub's host with HUB_REDIS_URL): issue and revoke API tokens, register an agency's root
public key."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hub.build import Services, build_services

from .output import emit, say
from .problems import EXIT_CONFIG, EXIT_OK, EXIT_REFUSED, Problem, not_found, usage
from .settings import settings_from

T = TypeVar("T")


def with_services(args: argparse.Namespace, work: Callable[[Services], Awaitable[T]]) -> T:
    settings = settings_from(args)
    if settings.redis_url is None:
        raise Problem("set HUB_REDIS_URL to the hub's Redis (this acts on its records)",
                      EXIT_CONFIG)

    async def go() -> T:
        services = build_services(settings)
        try:
            return await work(services)
        finally:
            await services.close()

    return asyncio.run(go())


def cmd_issue_token(args: argparse.Namespace) -> int:
    issued = with_services(args, lambda s: s.tokens.issue(args.person, issued_by=args.by))
    emit(args.json, {"person": args.person, "token": issued.token,
                     "token_id": issued.token_id}, issued.token)
    say(f"token id {issued.token_id}. Shown once: give it to {args.person} privately; "
        "the hub keeps only its hash. Revoke with 'hub admin revoke-token "
        f"{issued.token_id}'.")
    return EXIT_OK


def cmd_revoke_token(args: argparse.Namespace) -> int:
    if not with_services(args, lambda s: s.tokens.revoke(args.token_id, revoked_by=args.by)):
        raise not_found(f"no token with id {args.token_id}: the id is the part of a token "
                        "after 'ccr_', as 'hub admin issue-token' printed it")
    emit(args.json, {"revoked": args.token_id},
         f"revoked {args.token_id}; it stops working at once")
    return EXIT_OK


def _public_key(text: str) -> bytes:
    try:
        public = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        public = b""
    if len(public) != 32:
        raise usage("the root public key is base64 of 32 bytes; copy it from "
                    "'hub agency init' output")
    return public


def cmd_replace_root(args: argparse.Namespace) -> int:
    public = _public_key(args.public_key)
    with_services(args, lambda s: s.directory.replace_root(args.agency, public, by=args.by))
    emit(args.json, {"agency": args.agency, "replaced": True},
         f"replaced the root key of {args.agency}; its admin must now publish a roster "
         "signed by the new root, and partners pin the new fingerprint")
    return EXIT_OK


def cmd_register_root(args: argparse.Namespace) -> int:
    public = _public_key(args.public_key)
    if not with_services(args, lambda s: s.directory.register_root(args.agency, public,
                                                                   by=args.by)):
        raise Problem(f"{args.agency} already has a root key registered; 'hub admin "
                      "replace-root' re-keys it", EXIT_REFUSED)
    emit(args.json, {"agency": args.agency, "registered": True},
         f"registered the root key of {args.agency}")
    return EXIT_OK
