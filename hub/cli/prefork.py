"""Several web server processes on one listening socket (the pre-fork model): the parent
binds, forks ``processes`` children that each run the whole app on that socket, forwards
SIGTERM and SIGINT to them, and exits when any child exits (the others are stopped), so
a supervisor restarts the set. Each child opens its own Redis connections after the fork."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Callable

from aiohttp import web


def serve_forked(make_app: Callable[[], web.Application], host: str, port: int,
                 processes: int, failed: Callable[[web.Application], bool]) -> int:
    sock = socket.create_server((host, port), backlog=2048)
    children: list[int] = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # a child: serve until told to stop (or until a loop of it failed)
            status = 0
            try:
                app = make_app()
                web.run_app(app, sock=sock, print=None, handle_signals=True)
                status = 1 if failed(app) else 0
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        children.append(pid)
    sock.close()

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            _kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    _, status = os.wait()
    forward(signal.SIGTERM, None)
    for _ in children[1:]:
        os.wait()
    return os.waitstatus_to_exitcode(status)


def _kill(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
