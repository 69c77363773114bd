"""The operator's audit-log commands (on the hub's host, with HUB_REDIS_URL): seal and sign
a checkpoint now, export the log and its checkpoints to keep off the machine, and verify."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from pathlib import Path

from hub.services.auditlog import Checkpoint

from .operator import with_services
from .output import emit
from .problems import EXIT_OK, EXIT_PROBLEM, EXIT_TRUST, Problem


def cmd_checkpoint(args: argparse.Namespace) -> int:
    try:
        point = with_services(args, lambda s: s.auditlog.checkpoint())
    except RuntimeError as e:
        raise Problem(str(e), EXIT_PROBLEM) from None
    emit(args.json, {"count": point.count, "head": point.head, "key": point.key},
         f"checkpoint: {point.count} entries, head {point.head[:16]}..., signed by "
         f"{point.key[:16]}...")
    return EXIT_OK


def cmd_seal(args: argparse.Namespace) -> int:
    """Seal what is waiting (with --follow, keep sealing until interrupted, as the worker
    does: for a hub whose workers run elsewhere, or to measure the sealer's cost)."""
    if not args.follow:
        sealed = with_services(args, lambda s: s.auditlog.seal())
        emit(args.json, {"sealed": sealed}, f"sealed {sealed} entries")
        return EXIT_OK
    stop = threading.Event()
    for stopping in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stopping, lambda *_: stop.set())
    with_services(args, lambda s: s.auditlog.run(stop))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    doc = with_services(args, lambda s: s.auditlog.export())
    fd = os.open(args.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)
    emit(args.json, {"file": str(args.file), "entries": len(doc["entries"]),
                     "checkpoints": len(doc["checkpoints"])},
         f"wrote {len(doc['entries'])} entries and {len(doc['checkpoints'])} checkpoints "
         f"to {args.file}; keep it off this machine")
    return EXIT_OK


def _exported(path: Path | None) -> list[Checkpoint]:
    if path is None:
        return []
    try:
        doc = json.loads(path.read_text())
        return [Checkpoint.of(c) for c in doc["checkpoints"]]
    except OSError as e:
        raise Problem(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise Problem(f"{path} is not a file written by 'hub audit export'") from None


def cmd_verify(args: argparse.Namespace) -> int:
    exported = _exported(args.checkpoints)
    verdict = with_services(args, lambda s: s.auditlog.verify(exported))
    if not verdict.ok:
        raise Problem(f"the audit log does not verify: {verdict.problem}", EXIT_TRUST)
    emit(args.json, {**verdict.doc(), "exported_checkpoints": len(exported)},
         f"the audit log verifies: {verdict.entries} entries, {verdict.checkpoints} "
         f"checkpoints stored here, {len(exported)} exported")
    return EXIT_OK
