"""Keeping a child process running (`hub run`'s worker): when it exits, for whatever
reason, it is reaped (no <defunct> left behind) and started again after a capped,
jittered delay that grows while it keeps failing fast and starts small again once it has
run for a while."""

from __future__ import annotations

import logging
import subprocess
import threading

from hub.clock import monotonic
from hub.loops import Backoff

log = logging.getLogger(__name__)
SETTLED = 60.0  # seconds a child must run before its next exit counts as a first one


class Supervisor:
    def __init__(self, name: str, args: list[str], env: dict[str, str], *,
                 backoff: Backoff | None = None):
        self.name = name
        self.args = args
        self.env = env
        self.backoff = backoff or Backoff(first=0.5, cap=30.0)
        self.starts = 0
        self.child: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keep, name=f"{name}-supervisor",
                                        daemon=True)

    def start(self) -> Supervisor:
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            # its own session: a Ctrl-C at the terminal reaches `hub run`, which stops it
            self.child = subprocess.Popen(self.args, env=self.env, start_new_session=True)
            self.starts += 1

    def _keep(self) -> None:
        while not self._stopping.is_set():
            started = monotonic()
            child = self.child
            if child is None:  # _spawn found the supervisor stopping
                return
            code = child.wait()  # reaps it
            if self._stopping.is_set():
                return
            if monotonic() - started >= SETTLED:
                self.backoff.reset()
            delay = self.backoff.next()
            log.error("the %s exited with %s; starting it again in %.1f s", self.name, code,
                      delay)
            if self._stopping.wait(delay):
                return
            self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the child (SIGTERM, then SIGKILL after ``timeout``) and stop restarting."""
        with self._lock:
            self._stopping.set()
            child = self.child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._thread.join(timeout)
