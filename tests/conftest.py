"""Fixtures for tests through real parts: Tansu broker, SMTP sink, SQLite and PostgreSQL.

Nothing is opt-in: every run starts its own broker and sink on free ports and creates
fresh PostgreSQL databases (dropped afterwards) on `BOUCLE_TEST_POSTGRES_URL`
(default postgresql://postgres@127.0.0.1:5432/postgres).

`BOUCLE_TEST_CONTAINERS=1` (`make test-containers`, after `make containers`): the session's PostgreSQL, and the
broker of each stack and of the session, run in containers of the local images, through testcontainers, instead
of the local server and the embedded broker's process. The broker image holds the same Kafka-protocol broker
(Tansu, in memory), the stand-in for Apache Kafka, which cannot be had here.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn

from shared import migrations
from shared.db import make_engine
from shared.devstack import Ports, Stack, free_port, wait_for_port
from shared.settings import SERVICES, Settings
from tests import web

# Each test worker starts its stacks on ports of a range of its own (shared.devstack.free_ports): two workers
# starting stacks at the same moment were once handed the same port, and one stack's gateway reached the other's.
if os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    _worker = int(os.environ["PYTEST_XDIST_WORKER"][2:])
    os.environ.setdefault("BOUCLE_PORT_RANGE", f"{20000 + 2500 * _worker}-{22499 + 2500 * _worker}")

POSTGRES_ADMIN_URL = os.environ.get("BOUCLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")
CONTAINERS = os.environ.get("BOUCLE_TEST_CONTAINERS") == "1"
# The images scripts/containers.sh builds from Debian's packages (no registry is reachable): every container uses
# the host's network, on ports of the worker's own range.
BROKER_IMAGE = "boucle-local/broker"
POSTGRES_IMAGE = "boucle-local/postgres"
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # its reaper is an image from a registry


def host_container(image: str, **env: str):  # type: ignore[no-untyped-def]
    """A testcontainers container of `image` on the host's network, with `env`."""
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(image).with_kwargs(network_mode="host")
    for name, value in env.items():
        container.with_env(name, value)
    return container


class ContainerStack(Stack):
    """A Stack whose broker runs in a container of the broker image, on the stack's broker port; stopping it
    loses the log, as stopping the embedded broker does."""

    broker_container = None

    def start_broker(self) -> None:
        if self.broker_container is not None:
            return
        url = f"tcp://127.0.0.1:{self.ports.broker}"
        self.broker_container = host_container(BROKER_IMAGE, LISTENER_URL=url, ADVERTISED_LISTENER_URL=url).start()
        wait_for_port(self.ports.broker)

    def stop_broker(self) -> None:
        if self.broker_container is not None:
            self.broker_container.get_wrapped_container().stop(timeout=10)  # in order, as the embedded one
            self.broker_container.stop()  # removed
            self.broker_container = None

    def stop(self) -> None:
        super().stop()
        self.stop_broker()


def new_stack(tmp: Path, **env: str) -> Stack:
    """A Stack on free ports with a broker of its own: the embedded one, or in containers mode a container."""
    return (ContainerStack if CONTAINERS else Stack)(tmp, Ports.free(), env={"KAFKA_BOOTSTRAP_SERVERS": "", **env})


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """The PostgreSQL server that test databases are created on: local, or a container of the session."""
    if not CONTAINERS:
        yield POSTGRES_ADMIN_URL
        return
    port = free_port()
    postgres = host_container(POSTGRES_IMAGE, POSTGRES_PASSWORD="postgres", PGPORT=str(port)).start()
    url = f"postgresql://postgres:postgres@127.0.0.1:{port}/postgres"
    try:
        wait_until(lambda: _connects(url), timeout=60, interval=0.5)
        yield url
    finally:
        postgres.stop()


def _connects(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


class Databases:
    """Creates fresh databases for one test run and drops them all at the end.

    `url` gives an empty database; `migrated` a copy of a template brought once to the service's head
    revision (PostgreSQL's `CREATE DATABASE … TEMPLATE`, a file copy for SQLite), so that each test's
    service starts on a ready schema instead of running its whole history again."""

    def __init__(self, tmp: Path, admin_url: str = POSTGRES_ADMIN_URL):
        self.tmp = tmp
        self.admin_url = admin_url
        self.created: list[str] = []
        self.run = uuid.uuid4().hex[:8]
        self.templates: dict[tuple[str, str], str] = {}  # (backend, service) → SQLite file or PostgreSQL name

    def url(self, backend: str, name: str, template: str | None = None) -> str:
        if backend == "sqlite":
            path = self.tmp / f"{name}-{uuid.uuid4().hex[:6]}.db"
            if template:
                shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        db = f"boucle_test_{self.run}_{name}_{len(self.created)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(db)
        return self.admin_url.rsplit("/", 1)[0] + f"/{db}"

    def migrated(self, backend: str, service: str) -> str:
        """A fresh database of `backend` with `service`'s schema at its head revision."""
        if (backend, service) not in self.templates:
            url = self.url(backend, f"template_{service}")
            engine = make_engine(url)
            try:
                migrations.upgrade(service, engine)
            finally:
                engine.dispose()
            self.templates[backend, service] = (
                url.removeprefix("sqlite:///") if backend == "sqlite" else url.rsplit("/", 1)[1]
            )
        return self.url(backend, service, template=self.templates[backend, service])

    def drop_all(self) -> None:
        """Each DROP DATABASE takes some 60 ms, and a worker makes a hundred databases or more: eight at a time."""

        def drop(names: list[str]) -> None:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                for db in names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(drop, [self.created[i::8] for i in range(8)]))


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"), postgres_admin_url)
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One broker for the session's integration tests (not the e2e stacks): embedded Tansu, or a container."""
    stack = new_stack(tmp_path_factory.mktemp("broker"))
    stack.start_broker()
    yield stack
    stack.stop()


def settings_of(
    broker: Stack,
    databases: Databases,
    var_dir: Path,
    backend: str,
    service: str = "offers",
    *,
    migrated: bool = True,
    **overrides: object,
) -> Settings:
    """Settings of `service` wired to the session broker and a fresh database of `backend`.
    `migrated=False`: an empty database (a test that builds one from before migrations)."""
    url = databases.migrated(backend, service) if migrated else databases.url(backend, service)
    values: dict[str, object] = {
        "BOUCLE_VAR_DIR": str(var_dir),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "KAFKA_MAX_POLL_INTERVAL_MS": 3000,
        "KAFKA_SESSION_TIMEOUT_MS": 2000,  # as the stacks on the embedded broker
        "BOUCLE_LOG_FORMAT": "text",  # in the test process: leave pytest's logging alone
        f"{service.upper()}_DATABASE_URL": url,
        **CHEAP_PASSWORD_HASHING,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings_for(broker: Stack, databases: Databases, tmp_path: Path) -> Callable[..., Settings]:
    """`settings_of` for this test: `settings_for(backend, service="offers", *, migrated=True, **overrides)`."""
    return functools.partial(settings_of, broker, databases, tmp_path)


# Passwords hashed at 8 MiB and one pass instead of 64 MiB and three: a tenth of the CPU for the suite's hundreds
# of sign-ups and logins, with the same argon2id code path (the cost is a setting; its default is argon2-cffi's).
CHEAP_PASSWORD_HASHING = {"PASSWORD_HASH_MEMORY_KIB": "8192", "PASSWORD_HASH_TIME_COST": "1"}


def make_stack(tmp: Path, databases: Databases, backend: str, **env: str) -> Stack:
    """A whole Boucle on free ports, with its own broker, sink and fresh databases. Its mailer looks for due
    emails four times a second (not twenty): an idle stack then costs little, and the suite runs several."""
    db_env = {f"{s.upper()}_DATABASE_URL": databases.migrated(backend, s) for s in SERVICES}
    # Matching's fallback by meaning (a second and 300 MB per matching process that meets an unknown offer) only where
    # it is tested: the run's shared stacks.
    return new_stack(
        tmp,
        SMTP_HOST="",
        **{
            "MAILER_POLL_SECONDS": "0.25",
            "MATCHING_MEANING_FALLBACK": "false",
            **CHEAP_PASSWORD_HASHING,
            **db_env,
            **env,
        },
    )


# The settings of the tests' full stacks (shared or a module's own): weekly summaries checked every second and
# due at any hour, the expiry worker checking twice a second, a secret the tests can sign links with.
TEST_STACK_ENV = {
    "SUMMARY_CHECK_SECONDS": "1",
    "SUMMARY_SEND_HOUR_UTC": "0",
    "EXPIRY_CHECK_SECONDS": "0.5",
    "BOUCLE_SECRET_KEY": "e2e-shared-stack-secret-0123456789",
}


class SharedStacks:
    """One whole Boucle per database for the whole run (started on first use, stopped at the end).

    Tests that can share a stack do: each makes its own organisations, with addresses of its own, and
    reads only what concerns them. Tests that kill processes or need other settings make their own."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, databases: Databases):
        self.tmp_path_factory = tmp_path_factory
        self.databases = databases
        self.stacks: dict[str, Stack] = {}

    def get(self, backend: str) -> Stack:
        if backend not in self.stacks:
            stack = make_stack(
                self.tmp_path_factory.mktemp(f"stack-{backend}"),
                self.databases,
                backend,
                **TEST_STACK_ENV,
                MATCHING_MEANING_FALLBACK="true",
            )
            self.stacks[backend] = stack
            stack.start()
            stack.wait_healthy(consumers_joined=True)
        return self.stacks[backend]

    def stop(self) -> None:
        while self.stacks:
            self.stacks.popitem()[1].stop()


# The worker's shared stacks, once made: stopped as soon as the last file on them is done (an idle stack costs a
# tenth of a core, and the worker goes on with other files for minutes).
WORKER_SHARED_STACKS: list[SharedStacks] = []


@pytest.fixture(scope="session")
def shared_stacks(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[SharedStacks]:
    stacks = SharedStacks(tmp_path_factory, databases)
    WORKER_SHARED_STACKS.append(stacks)
    try:
        yield stacks
    finally:
        stacks.stop()


def path_of(item: pytest.Item) -> str:
    """The test file of `item`, as its node id gives it (the unit of `--dist loadfile`)."""
    return item.nodeid.split("::")[0]


@pytest.hookimpl(trylast=True)  # after the fixtures of the file that ends are torn down
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is not None and path_of(item) in SHARED_STACK_FILES and path_of(nextitem) not in SHARED_STACK_FILES:
        for stacks in WORKER_SHARED_STACKS:
            stacks.stop()  # started again by the next test that asks for one


@pytest.fixture(scope="module", params=BACKENDS)
def stack(request: pytest.FixtureRequest, shared_stacks: SharedStacks) -> Stack:
    """The full stack (broker, sink, four services, gateway) on SQLite, then on PostgreSQL: shared by the run."""
    return shared_stacks.get(request.param)


@pytest.fixture(scope="module", params=BACKENDS)
def own_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[Stack]:
    """A full stack for one module, on SQLite then on PostgreSQL: for scenarios that count everything in
    their communes (a territory's dashboard, what an organisation may see), which others' listings would change."""
    stack = make_stack(tmp_path_factory.mktemp(f"stack-{request.param}"), databases, request.param, **TEST_STACK_ENV)
    try:
        stack.start()
        stack.wait_healthy(consumers_joined=True)
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def sqlite_stack(shared_stacks: SharedStacks) -> Stack:
    """The run's full stack on SQLite, for tests that need one database only (pages in a browser)."""
    return shared_stacks.get("sqlite")


# How `make test` shares the work between its workers (pytest-xdist, `--dist loadfile`): a file goes whole to
# one worker, so its module's stacks start once; the files on the run's shared stacks go together to one worker,
# so those stacks start once in the run (xdist's controller does not collect, hence a list: a file using
# `stack` or `sqlite_stack` that is missing here is refused at collection). The longest files come first: the
# last worker to finish is then not one that drew one of them at the end.
SHARED_STACK_FILES = frozenset(
    {
        "tests/e2e/test_accounts.py",
        "tests/e2e/test_confidentiality.py",
        "tests/e2e/test_listing_expiry.py",
        "tests/e2e/test_matching_law.py",
        "tests/e2e/test_matching_service.py",
        "tests/e2e/test_notifications.py",
        "tests/e2e/test_observability.py",
        "tests/e2e/test_portal_csrf.py",
        "tests/e2e/test_walking_skeleton.py",
        "tests/security/test_schemathesis.py",
        "tests/browser/test_portal_journey.py",
        "tests/security/test_territory_rights.py",
        "tests/e2e/test_demo.py",
        "tests/browser/test_diagnostics_browser.py",
        "tests/e2e/test_workshop.py",
        "tests/e2e/test_erasure.py",
        "tests/e2e/test_sites.py",
        "tests/e2e/test_swaps.py",
    }
)
# The last files on the shared stacks, in this order: the demo loads thirty organisations (after every other file,
# so that none meets them) and counts the Bertranges' actors; the diagnostics import then adds some there.
SHARED_STACK_LAST = ("tests/e2e/test_demo.py", "tests/browser/test_diagnostics_browser.py")
LONGEST_FIRST = (
    "tests/security/test_schemathesis_generated.py",
    "tests/chaos/test_process_kills.py",
    "tests/chaos/test_poison.py",
    "tests/chaos/test_broker_replay.py",
    "tests/chaos/test_infrastructure_outages.py",
    "tests/security/test_isolation.py",
)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist loadfile`, with the shared stacks' files as one unit and the files in the order collected."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            return "shared stacks" if path in SHARED_STACK_FILES else path

    config.option.loadscopereorder = False  # xdist would otherwise put the files with most tests first
    return Scheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, then those on the shared stacks (SHARED_STACK_LAST last), then the rest; each file's
    tests keep their order."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "shared_stacks" in fixtures and "own_stack" not in fixtures and path_of(item) not in SHARED_STACK_FILES:
            raise pytest.UsageError(
                f"{path_of(item)} uses the run's shared stacks: add it to SHARED_STACK_FILES in tests/conftest.py"
            )

    def rank(item: pytest.Item) -> int:
        if path_of(item) in LONGEST_FIRST:
            return LONGEST_FIRST.index(path_of(item))
        if path_of(item) in SHARED_STACK_LAST:
            return len(LONGEST_FIRST) + 1 + SHARED_STACK_LAST.index(path_of(item))
        return len(LONGEST_FIRST) + (0 if path_of(item) in SHARED_STACK_FILES else 1 + len(SHARED_STACK_LAST))

    items.sort(key=rank)


def wait_until(condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.1) -> object:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def mailbox(stack: Stack) -> list[dict]:
    """Messages received by the stack's SMTP sink."""
    return web.get(f"http://127.0.0.1:{stack.ports.mailbox}/api/messages", timeout=5).json()


@contextlib.contextmanager
def served(app: object) -> Iterator[str]:
    """An ASGI app served by uvicorn in a thread of the test process, on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- accounts through a running stack -----------------------------------------------------------------

PASSWORD = "un mot de passe solide"


def account_link(stack: Stack, email: str, seen: set[str] | None = None) -> str:
    """The `/liens/compte/…` link of the latest account email to `email` not in `seen` (ids)."""
    sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
    seen = seen if seen is not None else set()

    def find() -> str | None:
        for message in mailbox(stack):
            if message["to"] == email and message["id"] not in seen:
                text = web.get(f"{sink}/{message['id']}").json()["text"]
                found = re.search(r"https?://\S+/liens/compte/\S+", text)
                if found:
                    seen.add(message["id"])
                    return found.group(0)
        return None

    return str(wait_until(find, timeout=20))


def session_cookie(response: httpx.Response) -> str:
    """The value of the `boucle_session` cookie a response sets (httpx keeps no Secure cookie over http)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("boucle_session="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no session cookie in {response.headers.get_list('set-cookie')}")


def signed_up(
    stack: Stack, client: httpx.Client, organisation: dict, name: str, email: str, password: str | None = PASSWORD
) -> str:
    """An account created through the API and confirmed through its emailed link; returns its session cookie."""
    body = {"organisation": organisation, "name": name, "email": email}
    if password:
        body["password"] = password
    created = client.post("/api/v1/accounts", json=body)
    assert created.status_code == 201, created.text
    link = httpx.URL(account_link(stack, email))
    confirmed = client.post(link.raw_path.decode())
    assert confirmed.status_code == 303, confirmed.text
    return session_cookie(confirmed)


def appoint(stack: Stack, email: str, role: str = "animateur") -> None:
    """Give the user `email` a role with the platform's command line, on the stack's offers database."""
    done = subprocess.run(
        [*stack.admin_command, "set-role", "--email", email, "--role", role],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def animateur_of(stack: Stack, client: httpx.Client, organisation: dict[str, str], email: str) -> dict[str, str]:
    """A user invited into the organisation whose API token headers are `organisation`, confirmed by the emailed
    link, made its animateur by the platform: the headers of that user's browser (cookie, CSRF token)."""
    invited = client.post(
        "/api/v1/organisations/me/users", headers=organisation, json={"name": "Anne Animatrice", "email": email}
    )
    assert invited.status_code == 201, invited.text
    confirmed = client.post(httpx.URL(account_link(stack, email)).raw_path.decode())
    assert confirmed.status_code == 303, confirmed.text
    appoint(stack, email)
    cookie = {"Cookie": f"boucle_session={session_cookie(confirmed)}"}
    return {**cookie, "X-CSRF-Token": client.get("/api/v1/session", headers=cookie).json()["csrf_token"]}


PLATFORM_ADMINS: dict[str, dict[str, str]] = {}


def platform_admin(stack: Stack, client: httpx.Client) -> dict[str, str]:
    """The headers (cookie, CSRF token) of the stack's platform admin, created once with the platform's command
    line (`offers.admin create-platform-admin`) and logged in through the link it prints. Kept by the stack's
    directory: a later stack may get a stopped one's ports, never its sessions."""
    if str(stack.var_dir) not in PLATFORM_ADMINS:
        done = subprocess.run(
            [
                *stack.admin_command,
                "create-platform-admin",
                "--email",
                "equipe@boucle.example",
                "--name",
                "Équipe Boucle",
            ],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        link = re.search(r"https?://\S+/liens/compte/\S+", done.stdout)
        assert link, done.stdout
        confirmed = client.post(httpx.URL(link.group(0)).raw_path.decode())
        assert confirmed.status_code == 303, confirmed.text
        cookie = {"Cookie": f"boucle_session={session_cookie(confirmed)}"}
        PLATFORM_ADMINS[str(stack.var_dir)] = {
            **cookie,
            "X-CSRF-Token": client.get("/api/v1/session", headers=cookie).json()["csrf_token"],
        }
    return PLATFORM_ADMINS[str(stack.var_dir)]


def declared_territory(stack: Stack, client: httpx.Client, animateur: dict[str, str], body: dict) -> dict:
    """`POST /api/v1/territories` by the animateur (retried while reporting does not know its organisation yet);
    a claim beyond the collectivité's own EPCI or commune is approved by the platform's team, as it would be."""

    def declared() -> httpx.Response | None:
        answer = client.post("/api/v1/territories", headers=animateur, json=body)
        return answer if answer.status_code == 201 else None

    territory = wait_until(declared, timeout=20).json()  # type: ignore[union-attr]
    if territory["status"] == "pending":
        decided = client.post(
            f"/api/v1/territories/{territory['id']}/decision",
            headers=platform_admin(stack, client),
            json={"approved": True},
        )
        assert decided.status_code == 200, decided.text
        territory = decided.json()
    assert territory["status"] == "approved", territory
    return territory


# --- browser: Playwright driving Debian's chromium (no browser download); one for the whole session,
# shared by tests/browser and tests/security (a second sync Playwright in the same thread is refused).
CHROMIUM_PATH = os.environ.get("BOUCLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_browser():
    """A headless Debian chromium shared by the whole test session."""
    if not os.path.exists(CHROMIUM_PATH):
        pytest.fail(f"chromium not found at {CHROMIUM_PATH}: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh page in its own browser context, closed after the test."""
    context = chromium_browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()
