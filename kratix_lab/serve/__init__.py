"""``kratix-lab serve``: the lab as a Kubernetes API that kubectl and the kubernetes client talk to.

``start`` opens the lab, makes a CA, server certificate and token, writes the kubeconfig (0600), serves
HTTPS on a thread and keeps the lab's controllers running on the lab clock (``speed`` lab seconds per wall
second; ``paused``: only API writes, and other ``kratix-lab`` processes, move the lab). See ``server.py``
for the endpoints and ``docs/serve.md`` for the user's view.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kratix_lab.platform.lab import STEP_SECONDS, Lab
from kratix_lab.serve.api import LabApi
from kratix_lab.serve.server import ApiServer
from kratix_lab.serve.tls import Credentials, make_credentials, write_kubeconfig

# a watch event reaches clients within this of the commit (budget: 100 ms); an idle poll is two SQLite reads
POLL_SECONDS = 0.02


@dataclass
class Running:
    server: ApiServer
    api: LabApi
    url: str
    kubeconfig: Path
    token: str
    threads: list[threading.Thread] = field(default_factory=list)
    steps: int = 0
    held: threading.Event = field(default_factory=threading.Event)  # set: the lab clock stands still
    credentials: Credentials | None = None  # the CA and token the kubeconfig holds (``start(credentials=…)``)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Stop the lab clock for a while (API writes still land): to look at an in-between state."""
        self.held.set()
        try:
            yield
        finally:
            self.held.clear()

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.server.close_connections()  # (a client's kept-alive connections: their threads end too)
        for t in self.threads:
            t.join(timeout=30)
        with self.api.lock:
            self.api.lab.close()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    lab_dir: str | Path,
    *,
    address: str = "127.0.0.1",
    port: int = 0,
    kubeconfig: str | Path | None = None,
    speed: float = 1.0,
    paused: bool = False,
    executor: str = "in-process",
    verbose: bool = False,
    credentials: Credentials | None = None,
) -> Running:
    if speed <= 0:
        raise ValueError(f"--speed must be a positive number of lab seconds per wall second, got {speed}")
    lab = Lab(lab_dir, executor=executor, create=False)
    lab.gitops_repo.accept_pushes()  # a lab made before pushes were taken: clone DIR/gitops, commit, push
    api = LabApi(lab)
    creds = credentials or make_credentials(address)  # given: serve again with the same CA and token (a restart)
    server = ApiServer((address, port), api, creds, verbose=verbose)
    host = f"[{address}]" if ":" in address else address
    url = f"https://{host}:{server.server_address[1]}"
    path = Path(kubeconfig) if kubeconfig else Path(lab_dir) / "kubeconfig"
    write_kubeconfig(path, url, creds)
    run = Running(server, api, url, path, creds.token, credentials=creds)

    def poller() -> None:
        while not server.stopping.wait(POLL_SECONDS):
            api.hub.poll()

    def clock() -> None:
        interval = STEP_SECONDS / speed
        while not server.stopping.wait(interval):
            if run.held.is_set():
                continue
            with api.lock:
                lab.step()
            run.steps += 1
            api.hub.poll()

    run.threads.append(threading.Thread(target=server.serve_forever, name="serve-http", daemon=True))
    run.threads.append(threading.Thread(target=poller, name="serve-watch-poller", daemon=True))
    if not paused:
        run.threads.append(threading.Thread(target=clock, name="serve-lab-clock", daemon=True))
    for t in run.threads:
        t.start()
    return run


def serve_forever(run: Running, announce: Callable[[], None] = lambda: None) -> None:
    """Serve until Ctrl-C or SIGTERM (a service manager's or ``kill``'s stop; also the only way to stop a serve
    started by a parent that ignores SIGINT, which its children inherit), then stop cleanly. ``announce`` runs once
    SIGTERM is handled: whoever reads what it prints may stop the server at once."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    try:
        announce()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        run.stop()


__all__ = ["Running", "serve_forever", "start"]
