"""Real SPARQL servers for the tests and benchmarks, each a process of its own on loopback.

`OxigraphServer` runs `oxigraph serve`, `VirtuosoServer` Debian's `virtuoso-t`, each on free
loopback ports in a directory of its own; `ExternalServer` is a server an operator runs
(`TINYREG_TEST_STORE_URL`), which the suite only empties. The test suite starts the servers
once per session (see tests/conftest.py) and the remote benchmark once per run. What the
registry does to them crosses real HTTP.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

START_TIMEOUT_S = 20


def oxigraph_binary() -> str:
    """The `oxigraph` CLI of the `oxigraph` package, installed beside this Python."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("oxigraph", path=path)
    if found is None:
        raise RuntimeError("no `oxigraph` command: install the test extra "
                           "(pip install -e '.[test]'), which brings the oxigraph package")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def loopback(handler: type[http.server.BaseHTTPRequestHandler]):
    """An HTTP server of `handler` on a free loopback port, for as long as the block runs;
    yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class StartedServer:
    """What every server the suite starts has: its directory, its log and its process."""
    directory: Path
    _process: subprocess.Popen | None = None
    _system_graphs: set[str] = set()

    def snapshot(self) -> list[str]:
        """Update operations that write every graph the server holds now back as it is (the
        server's own graphs aside): a state taken once, e.g. right after Registry.init, for
        `restore` to put back in a fraction of the time the registry's writes took."""
        from tinyreg.registry import load_settings
        from tinyreg.registry.store.remote import RemoteStore
        from tinyreg.registry.store.staging import insert_ops, prepare
        with RemoteStore.from_settings(load_settings(environ={}, **self.settings)) as store:
            names = [row["g"] for row in store.select(
                "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")]
            return insert_ops([prepare(name, store.get_graph(name)) for name in sorted(names)
                               if name not in self._system_graphs])

    def restore(self, snapshot: list[str]) -> None:
        """Empty the server and write a `snapshot` back: raw updates, neither staged nor
        counted, since the snapshot holds the store's revision and change log itself."""
        self.clear()
        for operation in snapshot:
            self.update(operation)

    def log_tail(self) -> str:
        try:
            return (self.directory / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None


class OxigraphServer(StartedServer):
    kind = "oxigraph"
    profile = "oxigraph"

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def settings(self) -> dict[str, str]:
        """The store_* settings that put a registry on this server."""
        return {"store_url": self.query_url, "store_profile": self.profile}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    def start(self) -> "OxigraphServer":
        # The port is free when chosen but may be taken before the server binds it: retry.
        for _ in range(3):
            self.port = free_port()
            log = open(self.directory / "server.log", "ab")
            self._process = subprocess.Popen(
                [oxigraph_binary(), "serve", "--location", str(self.directory / "db"),
                 "--bind", f"127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready():
                return self
        raise RuntimeError(f"oxigraph serve did not start: {self.log_tail()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.query_url, timeout=2):
                    return True
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        return False

    def update(self, sparql: str) -> None:
        request = urllib.request.Request(self.update_url, data=sparql.encode(), method="POST",
                                         headers={"Content-Type": "application/sparql-update"})
        with urllib.request.urlopen(request, timeout=30):
            pass

    def clear(self) -> None:
        """Empty the server, so that each test starts from nothing."""
        self.update("DROP ALL")


def stop_process(process: subprocess.Popen) -> None:
    """Ask a process we started to end; kill it if it has not within ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# What a Virtuoso needs to run in a directory of its own: every file it writes is there,
# both ports are on loopback, and its SPARQL endpoint returns whole answers (the shipped
# configuration caps results at 10,000 rows, which would cut a graph listing short without
# a word). Memory: 10,000 buffers of 8 KiB.
_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 20
ServerThreads = 20

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 300
"""

VIRTUOSO_USER = "tinyreg"


def virtuoso_binaries() -> tuple[str, str]:
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if server is None or isql is None:
        raise RuntimeError("no `virtuoso-t` / `isql-vt`: install Debian's virtuoso-opensource-7-bin "
                           "(tests/run.sh does)")
    return server, isql


class VirtuosoServer(StartedServer):
    """`virtuoso-t` on loopback, written to as an operator would: through `/sparql-auth`
    with HTTP digest, as a user granted SPARQL_UPDATE (the README's set-up)."""
    kind = "virtuoso"
    profile = "virtuoso"

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.http_port = self.sql_port = 0
        self.password = secrets.token_hex(8)
        self._dba_password = secrets.token_hex(8)
        self._process: subprocess.Popen | None = None
        self._system_graphs: set[str] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/sparql-auth"

    @property
    def settings(self) -> dict[str, str]:
        return {"store_url": self.query_url, "store_profile": self.profile,
                "store_user": VIRTUOSO_USER, "store_password": self.password}

    def start(self) -> "VirtuosoServer":
        binary, _ = virtuoso_binaries()
        for _ in range(3):
            self.http_port, self.sql_port = free_port(), free_port()
            if self.http_port == self.sql_port:
                continue
            db = self.directory / "db"
            shutil.rmtree(db, ignore_errors=True)
            db.mkdir(parents=True)
            ini = db / "virtuoso.ini"
            ini.write_text(_VIRTUOSO_INI.format(dir=db, sql_port=self.sql_port,
                                                http_port=self.http_port))
            with open(self.directory / "server.log", "ab") as log:
                # -f: in the foreground, so that it stays our child and stops with us.
                self._process = subprocess.Popen(
                    [binary, "-f", "-c", str(ini)], cwd=db, stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if self._wait_ready():
                self._set_up()
                return self
        raise RuntimeError(f"virtuoso-t did not start: {self.log_tail()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 6 * START_TIMEOUT_S  # it builds its database first
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.base_url + "/sparql?query=ASK%7B%7D", timeout=2):
                    return True
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        return False

    def _set_up(self) -> None:
        self.sql(f"""
            DB.DBA.USER_CREATE('{VIRTUOSO_USER}', '{self.password}');
            GRANT SPARQL_UPDATE TO "{VIRTUOSO_USER}";
            USER_SET_PASSWORD('dba', '{self._dba_password}');
        """, password="dba")
        self._system_graphs = set(self._graphs())

    def sql(self, statements: str, password: str | None = None) -> str:
        """Run SQL as the database administrator, through Virtuoso's own client."""
        _, isql = virtuoso_binaries()
        done = subprocess.run(
            [isql, f"127.0.0.1:{self.sql_port}", "dba", password or self._dba_password,
             "VERBOSE=OFF", "PROMPT=OFF", "ERRORS=STDOUT", "BANNER=OFF"],
            input=statements, capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql-vt failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        return done.stdout

    def _sparql(self, text: str, form: str) -> bytes:
        # The open endpoint as the database administrator would not write; the suite reads
        # and empties through the authenticated one, as the registry does.
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, self.query_url, VIRTUOSO_USER, self.password)
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
        request = urllib.request.Request(
            self.query_url, data=urllib.parse.urlencode({form: text}).encode(), method="POST",
            headers={"Accept": "application/sparql-results+json",
                     "Content-Type": "application/x-www-form-urlencoded"})
        with opener.open(request, timeout=60) as answer:
            return answer.read()

    def _graphs(self) -> list[str]:
        answer = json.loads(self._sparql(
            "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", "query"))
        return [row["g"]["value"] for row in answer["results"]["bindings"]]

    def update(self, sparql: str) -> None:
        self._sparql(sparql, "update")

    def clear(self) -> None:
        """Empty the server of every graph but Virtuoso's own."""
        graphs = [g for g in self._graphs() if g not in self._system_graphs]
        if graphs:
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))


class ExternalServer:
    """A server the operator runs and names in TINYREG_TEST_STORE_URL (with _PROFILE, _USER,
    _PASSWORD, _UPDATE_URL, _GSP_URL). The suite never starts or stops it; `clear` drops
    every graph that was not there when the suite first met the server."""
    kind = "external"

    def __init__(self, settings: dict[str, str]):
        self.settings = settings
        self.profile = settings.get("store_profile", "generic")
        self.query_url = settings["store_url"]
        from tinyreg.registry import load_settings
        from tinyreg.registry.store.remote import RemoteStore
        self._store = RemoteStore.from_settings(load_settings(environ={}, **settings))
        self._before = set(self._graphs())

    @classmethod
    def from_environment(cls, environ=os.environ) -> "ExternalServer":
        settings = {}
        for name in ("url", "profile", "user", "password", "update_url", "gsp_url"):
            value = environ.get(f"TINYREG_TEST_STORE_{name.upper()}")
            if value:
                settings[f"store_{name}"] = value
        if "store_url" not in settings:
            raise RuntimeError("TINYREG_TEST_STORE_URL is not set")
        return cls(settings)

    def _graphs(self) -> list[str]:
        return [row["g"] for row in self._store.select(
            "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")]

    def update(self, sparql: str) -> None:
        self._store._send_update(sparql)

    def clear(self) -> None:
        graphs = [g for g in self._graphs() if g not in self._before]
        for start in range(0, len(graphs), 100):
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs[start:start + 100]))

    def stop(self) -> None:
        self._store.close()
