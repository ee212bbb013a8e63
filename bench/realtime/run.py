"""Benchmark the chat sockets (issue 3): two-way chat load on NET119 and on a bare relay, then idle sockets.

Run from the project root with the venv active (the client needs ``pip install 'websockets>=15,<18'``):

    python bench/realtime/run.py            # the full run, about 5 minutes
    python bench/realtime/run.py --quick    # a smoke run, about 1 minute

Every server it starts is a child of this process on 127.0.0.1, stopped in a
``finally`` and, should this process die, by PR_SET_PDEATHSIG.
"""
import argparse
import asyncio
import ctypes
import gc
import http.cookiejar
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SEED = 119
PR_SET_PDEATHSIG = 1
CHITOSE_CITY_HALL = {"lat": "42.82102", "lon": "141.65088", "accuracy": "15"}
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
QUEUE_LINK = re.compile(r'href="/dispatch/cases/(\d+)">\s*<strong>[^<]+</strong>\s*<span>([^<]+)</span>')
# A benchmark message's client id (pair, side, number), as NET119 renders it
# (data-client-id) or as the relay echoes the client's JSON.
MESSAGE_ID = re.compile(r'(?:data-client-id="|"client_id": ")p(\d{5})([ab])(\d{6})"')
SENT_AT = re.compile(r"t=(\d+)")
SEQ = re.compile(r'data-seq="(\d+)"')
REFUSAL = 'id="notice"'
# Side "a" is the resident's page, side "b" the dispatcher's console.
SIDES = ("a", "b")
FLOOR, NET119 = "floor (bare relay)", "NET119"
STORED_FLOOR = "relay + SQLite commit"

CONNECT_CONCURRENCY = 32
CONNECT_TIMEOUT_S = 180
DRAIN_TIMEOUT_S = 30
CLOSE_TIMEOUT_S = 30
SERVER_START_TIMEOUT_S = 120
HTTP_TIMEOUT_S = 30
# Every HTTP request goes straight to 127.0.0.1, never through an environment proxy.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---- Processes and /proc ---------------------------------------------------------------

def raise_open_files():
    """Lift this process's open-file limit to its hard limit (a socket is a file)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = hard if hard != resource.RLIM_INFINITY else 1 << 20
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def _server_child_setup():
    # Runs in the forked server before exec: SIGTERM when this script dies, so
    # no server outlives an interrupted run; and room for thousands of sockets.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    raise_open_files()


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def cpu_seconds(pid):
    """User + system CPU time of process ``pid`` (all its threads), from /proc."""
    return sum(user_system_seconds(pid))


def user_system_seconds(pid):
    """(user, system) CPU time of process ``pid`` (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


def proc_status(pid, key):
    """A numeric field of /proc/PID/status (``VmRSS`` in KiB, ``Threads``)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def children_of(pid):
    """Process ids whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def workers_of(master):
    """gunicorn's workers: the children forked with the master's command line (not the demo's intake)."""
    def command(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                return cmdline.read()
        except OSError:
            return None
    return [pid for pid in children_of(master) if command(pid) == command(master)]


def machine_ticks():
    """(busy, total) CPU ticks of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def load_average():
    """The 1, 5 and 15 minute load averages, as text."""
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


class Server:
    """A gunicorn server (master + one gevent worker) on 127.0.0.1, run as a child process."""

    def __init__(self, name, command, port, log_path, data_dir=None, env=None):
        self.name, self.command, self.port, self.log_path = name, command, port, log_path
        self.data_dir, self.env = data_dir, env
        self.base_url = f"http://{HOST}:{port}"
        self.process = self.worker = None

    def start(self):
        """Start it and wait until /healthz answers and the worker is running."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            preexec_fn=_server_child_setup,
                                            env={**os.environ, **self.env} if self.env else None)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                with DIRECT.open(f"{self.base_url}/healthz", timeout=2) as answer:
                    workers = workers_of(self.process.pid)
                    if answer.status == 200 and len(workers) == 1:
                        self.worker = workers[0]
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become healthy in {SERVER_START_TIMEOUT_S} s")

    def worker_restarted(self):
        """True when gunicorn replaced the worker measured (it was killed or crashed)."""
        return workers_of(self.process.pid) != [self.worker]

    def stop(self):
        """Terminate it (gunicorn's graceful timeout is 3 s), kill it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_errors(self):
        """Lines of the server log that report an error or a traceback."""
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines()
                if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line]


@contextmanager
def running(server):
    """Start ``server`` and stop it however the block ends."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


def net119_server(workdir, name, connections, stages=None):
    """A `net119 demo` on a fresh database in ``workdir/name``, as the README starts it.

    With ``stages`` (a path), its worker times each message's steps into that file (stages.py).
    """
    data = workdir / name
    port = free_port()
    command = [sys.executable, "-m", "app", "demo", "--host", HOST, "--port", str(port),
               "--data", str(data), "--connections", str(connections)]
    env = None
    if stages:
        hook = str(Path(__file__).with_name("hook"))
        env = {"NET119_BENCH_STAGES": str(stages),
               "PYTHONPATH": os.pathsep.join(filter(None, [hook, os.environ.get("PYTHONPATH")]))}
    return Server(name, command, port, workdir / f"{name}.log", data_dir=data, env=env)


# Migrates and seeds the database named by NET119_DATABASE_URL as `net119 demo` does; prints the accounts.
SEED_DEMO = """
import json
from pathlib import Path
from app import create_app, demo
from app.extensions import db
from app.hq_csv import parse_csv
from app.migrations_runner import apply_migrations
create_app()
apply_migrations()
text = (Path(demo.__file__).parent / "data" / demo.DEMO_HQ_CSV).read_text(encoding="utf-8")
with db.connection_context():
    print(json.dumps(demo.seed(parse_csv(text))))
"""


class ServerGroup:
    """`net119 serve` processes sharing one PostgreSQL database (SPEC §9's production shape).

    Residents connect to the first, consoles to the last: every message crosses
    between processes (LISTEN/NOTIFY). The database is made for the run and
    dropped after it.
    """

    def __init__(self, name, server_url, workdir, connections, count=2):
        import psycopg2  # pip install -e ".[postgres]"

        self.name, self.server_url = name, server_url.rstrip("/")
        self.database = f"net119_bench_{os.getpid()}"
        self.data_dir = workdir / name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._psycopg2 = psycopg2
        self.env = {"NET119_DATABASE_URL": f"{self.server_url}/{self.database}",
                    "NET119_SECRET_KEY": "bench-" + os.urandom(16).hex()}
        self.servers = []
        for n in range(count):
            port = free_port()
            command = [sys.executable, "-m", "app", "serve", "--host", HOST, "--port", str(port),
                       "--connections", str(connections)]
            self.servers.append(Server(f"{name}-{n + 1}", command, port, workdir / f"{name}-{n + 1}.log",
                                       env=self.env))
        self.base_url, self.console_url = self.servers[0].base_url, self.servers[-1].base_url

    def _admin(self, sql):
        connection = self._psycopg2.connect(f"{self.server_url}/postgres")
        connection.autocommit = True
        try:
            connection.cursor().execute(sql)
        finally:
            connection.close()

    def start(self):
        self._admin(f"CREATE DATABASE {self.database}")
        seeded = subprocess.run([sys.executable, "-c", SEED_DEMO], cwd=ROOT, env={**os.environ, **self.env},
                                capture_output=True, text=True, check=True)
        (self.data_dir / "demo-accounts.json").write_text(seeded.stdout.strip().splitlines()[-1])
        for server in self.servers:
            server.start()

    def stop(self):
        for server in self.servers:
            server.stop()
        self._admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    @property
    def workers(self):
        return [server.worker for server in self.servers]

    def worker_restarted(self):
        return any(server.worker_restarted() for server in self.servers)

    def log_errors(self):
        return [line for server in self.servers for line in server.log_errors()]


def relay_server(workdir, connections, store=False):
    """The bare flask-sock relay (echo_server.py) with the same gunicorn settings.

    With ``store``, it commits every frame to an SQLite file first (``--stored-floor``).
    """
    port = free_port()
    name = "relay-stored" if store else "relay"
    command = [sys.executable, str(Path(__file__).with_name("echo_server.py")), "--host", HOST,
               "--port", str(port), "--connections", str(connections)]
    if store:
        command += ["--store", str(workdir / f"{name}.sqlite3")]
    return Server(name, command, port, workdir / f"{name}.log")


# ---- HTTP: log in, open reports -------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Keeps cookies, does not follow redirects, and never uses a proxy."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path, data=None):
        """(status, headers, text) of a GET, or of a form POST when ``data`` is given."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=HTTP_TIMEOUT_S) as answer:
                return answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def csrf_token(self, path):
        """The CSRF token of the form on ``path`` (bound to the session, it never expires)."""
        return CSRF.search(self.request(path)[2]).group(1)

    def login(self, account, path):
        """Log in with a demo account on the login form at ``path``."""
        status, _, text = self.request(path, {"csrf_token": self.csrf_token(path),
                                              "login": account["login"], "password": account["password"]})
        if status != 303:
            raise RuntimeError(f"login as {account['login']} failed: {status} {text[:200]}")
        return self

    def cookie_header(self):
        """The session cookie as a Cookie header value."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


@dataclass
class Endpoint:
    """Where and how one client socket connects."""

    url: str
    cookie: str | None = None
    origin: str | None = None


def open_reports(server, count):
    """Open ``count`` reports as the demo resident; return (resident, dispatcher) endpoints per report.

    Each POST /reports with a new client id is a new report (one resident may
    have many open); the Chitose dispatcher's queue gives every report's id.
    """
    accounts = json.loads((server.data_dir / "demo-accounts.json").read_text())

    def account(kind):
        return next(a for a in accounts[kind] if a["hq"] == "chitose")

    resident = Browser(server.base_url).login(account("residents"), "/login")
    token = resident.csrf_token("/?kind=fire")
    case_numbers = []
    for n in range(count):
        status, headers, text = resident.request("/reports", {
            "csrf_token": token, "kind": "fire", "place": "current", "client_id": f"bench-report-{n:05d}",
            **CHITOSE_CITY_HALL})
        if status != 303:
            raise RuntimeError(f"POST /reports answered {status}: {text[:200]}")
        case_numbers.append(headers["Location"].rsplit("/", 1)[1])
    # With several processes (--postgres), the consoles are on another one than the residents.
    console_url = getattr(server, "console_url", server.base_url)
    dispatcher = Browser(console_url).login(account("dispatchers"), "/dispatch/login")
    report_ids = {case: int(report_id)
                  for report_id, case in QUEUE_LINK.findall(dispatcher.request("/dispatch/")[2])}
    ws_base, console_ws = (url.replace("http://", "ws://") for url in (server.base_url, console_url))
    return [(Endpoint(f"{ws_base}/reports/{case}/ws", resident.cookie_header(), server.base_url),
             Endpoint(f"{console_ws}/dispatch/cases/{report_ids[case]}/ws", dispatcher.cookie_header(),
                      console_url))
            for case in case_numbers]


def relay_pairs(server, count):
    """(side a, side b) endpoints of ``count`` relay pairs."""
    ws_base = server.base_url.replace("http://", "ws://")
    return [tuple(Endpoint(f"{ws_base}/pair/{n}/{side}") for side in SIDES) for n in range(count)]


# ---- The client: one asyncio process --------------------------------------------------

@dataclass
class Tally:
    """What one chat run sent and what its sockets received."""

    sent: int = 0
    deliveries: list = field(default_factory=list)  # ns, first arrival on the other side
    acks: list = field(default_factory=list)  # ns, first arrival back on the sender's socket
    duplicated: int = 0
    out_of_order: int = 0
    misrouted: int = 0
    refused: int = 0
    reads: int = 0  # read frames sent (--reads)
    send_lags: list = field(default_factory=list)  # ns the client sent later than scheduled
    server_closes: Counter = field(default_factory=Counter)  # close code -> sockets the server closed


class ChatSocket:
    """One client socket: sends on a fixed schedule and checks every frame it receives."""

    def __init__(self, pair, side, endpoint, tally, reads=False):
        self.pair, self.side, self.endpoint, self.tally = pair, side, endpoint, tally
        # As the pages do: a read frame (既読) for each of the other side's messages shown.
        self.reads = reads
        self.ws = self.reader = None
        self.closing = False
        self.answered = asyncio.Event()
        self._seen = set()
        self._last_n = {}
        self._last_seq = 0

    async def open(self, compression):
        """Connect, send the resume frame, and wait for the server's first frame.

        After ``resume`` from 0, NET119 answers with the report's first event and
        the relay echoes the frame: either way the server side is in its loop and
        subscribed, so no message of the run can reach it before it listens.
        """
        headers = {"Cookie": self.endpoint.cookie} if self.endpoint.cookie else None
        # proxy=None: never through an environment proxy. ping_interval=None: like a
        # browser, only answer the server's pings.
        self.ws = await connect(self.endpoint.url, origin=self.endpoint.origin, additional_headers=headers,
                                compression=compression, proxy=None, ping_interval=None,
                                open_timeout=CONNECT_TIMEOUT_S, close_timeout=5)
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(json.dumps({"type": "resume", "after": 0}))
        await self.answered.wait()

    @property
    def is_open(self):
        """The connection has not been closed by either side."""
        return self.reader is not None and not self.reader.done()

    async def _read(self):
        try:
            async for frame in self.ws:
                self._check(frame, time.perf_counter_ns())
        except websockets.ConnectionClosed:
            pass
        if not self.closing:
            self.tally.server_closes[self.ws.close_code] += 1

    def _check(self, frame, now):
        self.answered.set()
        found = MESSAGE_ID.search(frame)
        if found is None:
            self.tally.refused += REFUSAL in frame
            return
        pair, sender, n = int(found[1]), found[2], int(found[3])
        if pair != self.pair:
            self.tally.misrouted += 1
            return
        if (sender, n) in self._seen:
            self.tally.duplicated += 1
            return
        self._seen.add((sender, n))
        seq = SEQ.search(frame)
        seq = int(seq[1]) if seq else None
        if n < self._last_n.get(sender, -1) or (seq is not None and seq <= self._last_seq):
            self.tally.out_of_order += 1
        self._last_n[sender] = max(n, self._last_n.get(sender, -1))
        self._last_seq = max(self._last_seq, seq or 0)
        latency = now - int(SENT_AT.search(frame)[1])
        (self.tally.acks if sender == self.side else self.tally.deliveries).append(latency)
        if self.reads and sender != self.side:
            # The relay has no sequence numbers: the message's own number stands in.
            asyncio.get_running_loop().create_task(self._send_read(n if seq is None else seq))

    async def _send_read(self, seq):
        try:
            await self.ws.send(json.dumps({"type": "read", "seq": seq}))
        except websockets.ConnectionClosed:
            return
        self.tally.reads += 1

    async def send_on_schedule(self, first_ns, interval_ns, count):
        """Send ``count`` messages, one every ``interval_ns`` from ``first_ns`` (perf_counter)."""
        for n in range(count):
            due = first_ns + n * interval_ns
            wait = (due - time.perf_counter_ns()) / 1e9
            if wait > 0:
                await asyncio.sleep(wait)
            now = time.perf_counter_ns()
            self.tally.send_lags.append(now - due)
            # Both ends are in this process, so perf_counter_ns is a shared clock.
            frame = json.dumps({"type": "message", "client_id": f"p{self.pair:05d}{self.side}{n:06d}",
                                "body": f"台所から火が出ています t={now}"})
            try:
                await self.ws.send(frame)
            except websockets.ConnectionClosed:
                # The server closed this socket (its log says why); the run goes
                # on with the others and the report shows the socket as closed.
                return
            self.tally.sent += 1

    async def close(self):
        """Close the connection and wait for the reader to finish."""
        self.closing = True
        await self.ws.close()
        await self.reader


async def open_all(sockets, compression):
    """Open ``sockets``, a bounded number of handshakes at a time."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_one(sock):
        async with gate:
            await sock.open(compression)

    await asyncio.wait_for(asyncio.gather(*(open_one(s) for s in sockets)), CONNECT_TIMEOUT_S)


async def close_all(sockets):
    """Close every opened socket; re-raise the first error a reader hit while checking frames."""
    closing = [asyncio.create_task(s.close()) for s in sockets if s.ws is not None]
    if not closing:
        return
    # websockets aborts a close that takes more than close_timeout; this bound is a backstop.
    done, late = await asyncio.wait(closing, timeout=CLOSE_TIMEOUT_S)
    for task in late:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            raise task.exception()


class Meter:
    """CPU use of the server's worker, this client and the machine over a window."""

    def __init__(self, server):
        self.server = server
        self.load_average = load_average()
        self.start = self._sample()

    def _sample(self):
        own = os.times()
        user = system = 0.0
        for worker in self.server.workers if hasattr(self.server, "workers") else [self.server.worker]:
            worker_user, worker_system = user_system_seconds(worker)
            user, system = user + worker_user, system + worker_system
        return (time.monotonic(), user + system, own.user + own.system, *machine_ticks(), system)

    def stop(self):
        """Percentages since construction: worker and client of one core, machine of all cores."""
        end = self._sample()
        wall = end[0] - self.start[0]
        server, client = 100 * (end[1] - self.start[1]) / wall, 100 * (end[2] - self.start[2]) / wall
        machine = 100 * (end[3] - self.start[3]) / (end[4] - self.start[4])
        return {"server_cpu_s": end[1] - self.start[1], "server_system_s": end[5] - self.start[5],
                "server_cpu": server, "client_cpu": client,
                "machine_cpu": machine, "others_cpu": max(0.0, machine - (server + client) / os.cpu_count()),
                "load_average": self.load_average}


async def chat_load(server, pairs, rate, duration, compression, reads=False):
    """Both sides of every pair send ``rate`` messages/s for ``duration`` s; return the figures."""
    tally = Tally()
    sockets = [ChatSocket(n, side, endpoint, tally, reads)
               for n, pair in enumerate(pairs) for side, endpoint in zip(SIDES, pair)]
    # This client's own collector would stop it for tens of milliseconds as its
    # tallies grow, and every frame arriving meanwhile would count as server
    # latency (more so for the server measured second): no collection during a run.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        started = time.monotonic()
        await open_all(sockets, compression)
        connect_s = time.monotonic() - started
        interval_ns = round(1e9 / rate)
        count = round(duration * rate)
        # Each socket starts at its own random offset within one interval, so the
        # server sees a steady stream rather than 400 messages at once.
        rng = random.Random(SEED)
        begin = time.perf_counter_ns() + 500_000_000
        meter = Meter(server)
        await asyncio.wait_for(asyncio.gather(*(s.send_on_schedule(begin + rng.randrange(interval_ns),
                                                                   interval_ns, count) for s in sockets)),
                               duration + DRAIN_TIMEOUT_S)
        usage = meter.stop()
        drain_deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while (len(tally.deliveries) < tally.sent or len(tally.acks) < tally.sent) \
                and time.monotonic() < drain_deadline:
            await asyncio.sleep(0.1)
        still_open = sum(s.is_open for s in sockets)
    finally:
        await close_all(sockets)
        gc.enable()
        gc.unfreeze()
    return {"tally": tally, "sockets": len(sockets), "open_at_end": still_open,
            "connect_s": connect_s, **usage}


async def warm_up(endpoints, compression):
    """Open and close a socket per endpoint."""
    sockets = [ChatSocket(n, SIDES[n % 2], endpoint, Tally()) for n, endpoint in enumerate(endpoints)]
    try:
        await open_all(sockets, compression)
    finally:
        await close_all(sockets)


async def hold_idle(server, endpoints, hold_s, compression):
    """Open a socket per endpoint, hold them idle for ``hold_s``; return the worker's memory figures."""
    tally = Tally()
    sockets = [ChatSocket(n, SIDES[n % 2], endpoint, tally) for n, endpoint in enumerate(endpoints)]
    before = proc_status(server.worker, "VmRSS"), proc_status(server.worker, "Threads")
    try:
        started = time.monotonic()
        await open_all(sockets, compression)
        connect_s = time.monotonic() - started
        meter = Meter(server)
        await asyncio.sleep(hold_s)
        usage = meter.stop()
        after = proc_status(server.worker, "VmRSS"), proc_status(server.worker, "Threads")
        still_open = sum(s.is_open for s in sockets)
    finally:
        await close_all(sockets)
    return {"sockets": len(sockets), "open_at_end": still_open, "connect_s": connect_s,
            "rss_before_kib": before[0], "threads_before": before[1],
            "rss_after_kib": after[0], "threads_after": after[1], **usage}


# ---- The run and its report ------------------------------------------------------------

def percentile(values, fraction):
    """Nearest-rank percentile of ``values`` (ns), in ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] / 1e6


def chat_rows(result):
    """The printed rows of one chat run: (label, text)."""
    tally = result["tally"]
    sent = tally.sent
    delivered, acked = len(tally.deliveries), len(tally.acks)

    closes = ", ".join(f"{code}×{count}" for code, count in sorted(tally.server_closes.items()))

    def spread(values):
        return (f"{percentile(values, 0.5):6.1f} / {percentile(values, 0.99):6.1f} / "
                f"{percentile(values, 1.0):7.1f}")

    return [
        ("sockets open, start → end", f"{result['sockets']} → {result['open_at_end']}"
                                      + (f" (closed: {closes})" if closes else "")),
        ("seconds to connect them", f"{result['connect_s']:.1f}"),
        ("messages sent", f"{sent:,}"),
        ("delivered to the other side", f"{delivered:,} ({100 * delivered / max(sent, 1):.2f} %)"),
        (f"lost ({DRAIN_TIMEOUT_S} s after the last send)", f"{sent - delivered:,}"),
        ("acknowledged to the sender", f"{acked:,} ({100 * acked / max(sent, 1):.2f} %)"),
        ("duplicated / out of order", f"{tally.duplicated} / {tally.out_of_order}"),
        ("wrong pair / refused frames", f"{tally.misrouted} / {tally.refused}"),
        *([("read frames sent (--reads)", f"{tally.reads:,}")] if tally.reads else []),
        # Over the messages that arrived: a lost one has no latency.
        ("sender→receiver ms p50/p99/max", spread(tally.deliveries)),
        ("ack ms p50/p99/max", spread(tally.acks)),
        ("client send lag ms p99/max", f"{percentile(tally.send_lags, 0.99):.1f} / "
                                       f"{percentile(tally.send_lags, 1.0):.1f}"),
        ("server worker CPU", f"{result['server_cpu']:.0f} % of one core"),
        ("server CPU per message sent", f"{1e3 * result['server_cpu_s'] / max(sent, 1):.2f} ms"),
        # System time is mostly thread wake-ups (futex): one thread per socket.
        ("  of which system (kernel)", f"{1e3 * result['server_system_s'] / max(sent, 1):.2f} ms"),
        ("client CPU", f"{result['client_cpu']:.0f} % of one core"),
        ("machine CPU busy", f"{result['machine_cpu']:.0f} % of all cores"),
        ("  of which other processes", f"{result['others_cpu']:.0f} % of all cores"),
        ("load average when the load began", result["load_average"]),
        ("server log errors", f"{result['log_errors']}"
                              f"{'  (worker restarted!)' if result['worker_restarted'] else ''}"),
    ]


def print_chat(results, options):
    """Print the chat runs side by side (``results``: title -> figures), the p99 ratio and the targets."""
    print(f"\n1-2. Chat load: {options.reports} reports = {2 * options.reports} sockets; each side sends "
          f"{options.rate:g} msg/s for {options.duration:g} s "
          f"({2 * options.reports * options.rate:,.0f} msg/s sent, "
          f"{4 * options.reports * options.rate:,.0f} frames/s received); gunicorn gevent worker, "
          f"{options.connections} connections")
    print("   " + " " * 34 + "".join(f"{title:>30}" for title in results))
    columns = [chat_rows(result) for result in results.values()]
    for row in zip(*columns):
        print(f"   {row[0][0]:34}" + "".join(f"{text:>30}" for _, text in row))
    net119 = results.get(NET119)
    if net119 is None:
        return
    net_p99 = percentile(net119["tally"].deliveries, 0.99)
    lost = net119["tally"].sent - len(net119["tally"].deliveries)
    targets = [f"0 lost [{'met' if lost == 0 else 'NOT met'}]",
               f"p99 ≤ 100 ms [{'met' if net_p99 <= 100 else 'NOT met'}]"]
    if STORED_FLOOR in results:
        # Information, not a target: how much of the gap storing alone explains.
        stored = net_p99 / percentile(results[STORED_FLOOR]["tally"].deliveries, 0.99)
        print(f"   p99 NET119 / relay that stores each frame first: {stored:.1f}×")
    if FLOOR in results:
        ratio = net_p99 / percentile(results[FLOOR]["tally"].deliveries, 0.99)
        print(f"   p99 NET119 / floor: {ratio:.1f}×")
        targets.append(f"p99 within 3× of the floor [{'met' if ratio <= 3 else 'NOT met'}]")
    print(f"   targets: {', '.join(targets)}")


def print_stages(path):
    """Print where the messages' time went inside the worker (``--stages``)."""
    from stages import spans

    rows, count = spans(path)
    print(f"\n   Inside the NET119 worker (--stages), {count:,} messages, ms:")
    print(f"   {'step':34}{'p50':>8}{'p90':>8}{'p99':>8}{'mean':>8}  mean of the slowest 1 %")
    for label, durations, slowest in rows:
        figures = [percentile(durations, fraction) for fraction in (0.5, 0.9, 0.99)]
        figures.append(sum(durations) / len(durations) / 1e6)
        print(f"   {label:34}" + "".join(f"{figure:8.2f}" for figure in figures) + f"{slowest / 1e6:10.2f}")


def print_idle(idle, connections):
    """Print the idle-socket memory figures."""
    grown = idle["rss_after_kib"] - idle["rss_before_kib"]
    print(f"\n3. Idle sockets: {idle['sockets']:,} (a resident page and a console per report) held by one "
          f"NET119 worker, gunicorn gevent worker, {connections:,} connections")
    print(f"   sockets open (start → end)        {idle['sockets']:,} → {idle['open_at_end']:,}"
          f"  ({idle['connect_s']:.1f} s to connect)")
    print(f"   worker VmRSS before                {idle['rss_before_kib'] / 1024:8.1f} MiB"
          f"  ({idle['threads_before']:,} threads)")
    print(f"   worker VmRSS with the sockets      {idle['rss_after_kib'] / 1024:8.1f} MiB"
          f"  ({idle['threads_after']:,} threads)")
    print(f"   memory per socket                  {grown / idle['sockets']:8.1f} KiB")
    print(f"   while idle: worker CPU {idle['server_cpu']:.1f} % of one core, machine "
          f"{idle['machine_cpu']:.0f} % busy, load average {idle['load_average']}; "
          f"server log errors {idle['log_errors']}")


def run_chat(server, pairs_of, options):
    """Run the chat load against ``server`` (started here); return the figures."""
    with running(server):
        pairs = pairs_of(server, options.reports)
        print(f"   {server.name}: {len(pairs)} pairs ready, running the load…", file=sys.stderr)
        result = asyncio.run(chat_load(server, pairs, options.rate, options.duration, options.compression,
                                       options.reads))
        result["worker_restarted"] = server.worker_restarted()
    result["log_errors"] = len(server.log_errors())
    return result


def run_idle(server, options):
    """Hold the idle sockets against ``server`` (started here); return the figures."""
    with running(server):
        endpoints = [e for pair in open_reports(server, options.idle_sockets // 2) for e in pair]
        # Warm up first, so that the "before" figure already includes the code
        # and caches every socket uses, and only the sockets themselves remain.
        asyncio.run(warm_up(endpoints[:20], options.compression))
        time.sleep(1)  # let the warm-up sockets' handlers finish
        print(f"   {len(endpoints)} endpoints ready, opening them…", file=sys.stderr)
        result = asyncio.run(hold_idle(server, endpoints, options.hold, options.compression))
    result["log_errors"] = len(server.log_errors())
    return result


def parse_options():
    """Command-line options; ``--quick`` scales the run down to a smoke test."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 reports for 10 s, 200 idle sockets")
    parser.add_argument("--reports", type=int, help="open reports, two sockets each (default 200)")
    parser.add_argument("--rate", type=float, default=2.0, help="messages per second per side")
    parser.add_argument("--reads", action="store_true",
                        help="each side also sends a read frame (既読) for every message of the other side, as the pages do")
    parser.add_argument("--duration", type=float, help="seconds of sending (default 60)")
    parser.add_argument("--connections", type=int, default=1024, help="gunicorn worker connections for the chat load")
    parser.add_argument("--idle-sockets", type=int, help="idle sockets to hold (default 2000)")
    parser.add_argument("--idle-connections", type=int, help="gunicorn worker connections for them (default sockets + 100)")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to hold the idle sockets")
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate",
                        help="offer permessage-deflate as browsers do (default), or not")
    parser.add_argument("--skip", choices=["floor", "net119", "idle"], action="append", default=[],
                        help="leave out a part (repeatable)")
    parser.add_argument("--stages", action="store_true",
                        help="time each message's steps inside the NET119 worker (stages.py) and print them; "
                             "the timing itself costs the worker some CPU")
    parser.add_argument("--stored-floor", action="store_true",
                        help="also run the relay with an SQLite commit (WAL, synchronous=FULL) of every frame "
                             "before relaying it: what storing before acknowledging costs by itself")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server (postgresql://user@host:port) on which to run NET119 as two "
                             "`net119 serve` processes, residents on one and consoles on the other, instead of "
                             "the demo; the bench creates its database and drops it (needs .[postgres])")
    parser.add_argument("--workdir", type=Path, help="where databases and server logs go "
                                                     "(default: a temporary directory, removed afterwards)")
    options = parser.parse_args()
    quick = options.quick
    options.reports = options.reports or (20 if quick else 200)
    options.duration = options.duration or (10.0 if quick else 60.0)
    options.idle_sockets = options.idle_sockets or (200 if quick else 2000)
    options.idle_connections = options.idle_connections or options.idle_sockets + 100
    if options.stages and options.postgres:
        parser.error("--stages times the embedded demo's one worker, not --postgres")
    if options.compression == "none":
        options.compression = None
    needed = 2 * options.reports + 16
    if options.connections < needed:
        parser.error(f"--connections must be at least {needed}: each socket holds a connection")
    return options


def main():
    """Run the parts asked for and print their figures."""
    options = parse_options()
    raise_open_files()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="net119-bench-realtime-"))
    workdir.mkdir(parents=True, exist_ok=True)
    filesystem = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "--target", str(workdir)],
                                capture_output=True, text=True).stdout.strip()
    print(f"NET119 realtime benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} at start; the client and the "
          f"servers share these CPUs")
    print(f"client: one asyncio process, websockets {websockets.__version__}, permessage-deflate "
          f"{'offered (as browsers do)' if options.compression else 'off'}; "
          f"Python {sys.version.split()[0]}")
    if options.postgres:
        print(f"NET119: two `net119 serve` processes on PostgreSQL at {options.postgres}, residents on the "
              f"first, consoles on the second (LISTEN/NOTIFY between them); CPU is theirs, not PostgreSQL's")
    else:
        print(f"NET119 database: SQLite (WAL, synchronous=FULL) on {filesystem} in {workdir}")
    sys.stdout.flush()
    errors, finished = 0, False
    try:
        chats = {}
        if "floor" not in options.skip:
            print("floor: bare relay", file=sys.stderr)
            chats[FLOOR] = run_chat(relay_server(workdir, options.connections), relay_pairs, options)
        if options.stored_floor:
            print("floor: relay + SQLite commit", file=sys.stderr)
            chats[STORED_FLOOR] = run_chat(relay_server(workdir, options.connections, store=True),
                                           relay_pairs, options)
        if "net119" not in options.skip:
            print("NET119 demo", file=sys.stderr)
            stages = workdir / "stages.jsonl" if options.stages else None
            server = (ServerGroup("chat", options.postgres, workdir, options.connections) if options.postgres
                      else net119_server(workdir, "chat", options.connections, stages))
            chats[NET119] = run_chat(server, open_reports, options)
        if chats:
            print_chat(chats, options)
            if NET119 in chats and options.stages:
                print_stages(workdir / "stages.jsonl")
            errors += sum(result["log_errors"] for result in chats.values())
            sys.stdout.flush()
        if "idle" not in options.skip:
            print("idle sockets", file=sys.stderr)
            idle = run_idle(net119_server(workdir, "idle", options.idle_connections), options)
            print_idle(idle, options.idle_connections)
            errors += idle["log_errors"]
        finished = True
    finally:
        print(f"\nload average {load_average()} at the end")
        if errors or options.workdir or not finished:
            print(f"server logs and databases kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
