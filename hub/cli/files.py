"""Saving opened attachments: each under the name it was sent with (a name only, never a
path), readable by its owner only (mode 0600), never over a file already there."""

from __future__ import annotations

import os
import re
from pathlib import Path

from hub.client.reading import attachment_names

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]")


def safe_name(name: str | None, fallback: str) -> str:
    """A plain file name from what the sender wrote: no directory, no control character,
    not hidden; ``fallback`` when nothing usable is left."""
    cleaned = _UNSAFE.sub("_", (name or "").strip()).lstrip(".").strip()[:120]
    return cleaned or fallback


def write_new(folder: Path, name: str, data: bytes) -> Path:
    """``data`` in ``folder``/``name`` (mode 0600); 'name (2).ext' and so on if taken."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    for n in range(1, 1000):
        path = folder / (name if n == 1 else f"{stem} ({n}){dot}{ext}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path
    raise FileExistsError(folder / name)


def save_attachments(folder: Path, rid: str, blobs: tuple[bytes, ...],
                     parsed: object) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = attachment_names(parsed)
    return [write_new(folder, safe_name(names[i] if i < len(names) else None,
                                        f"referral-{rid[:8]}-attachment-{i + 1}"), data)
            for i, data in enumerate(blobs)]
