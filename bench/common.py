"""What the benchmarks share: the machine, servers in their own processes, CPU accounting, a
simulated platform that signs real id_tokens, and a load generator of simulated students."""
from __future__ import annotations

import http.client
import json
import os
import platform as host_platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ISSUER = "https://lms.bench.example"
CLIENT_ID = "rapport-bench"
DEPLOYMENT_ID = "bench-1"
TOOL_HOST = "127.0.0.1"
KEYSET_HOST = "127.0.0.5"
AUTH_URL = ISSUER + "/auth"


# -- the machine ----------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    """Cores, CPU model, Python and the versions of what a launch runs through."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cores": str(os.cpu_count()), "cpu": model, "python": host_platform.python_version(),
            "system": f"{host_platform.system()} {host_platform.release()}"}
    for package in ("flask", "werkzeug", "sqlalchemy", "gunicorn", "pylti1p3", "pyjwt", "cryptography",
                    "psycopg", "redis", "flask-caching"):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = "not installed"
    return info


def print_machine(extra: dict[str, str] | None = None) -> None:
    """Print the machine the figures were measured on."""
    info = {**machine(), **(extra or {})}
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))


# -- processes --------------------------------------------------------------------------------------
def free_port(host: str) -> int:
    """A TCP port nobody listens on at host."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for(host: str, port: int, path: str, timeout: float = 30.0, process: subprocess.Popen[Any] | None = None) -> None:
    """Wait until http://host:port/path answers (any status)."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def process_tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) the process and its live children have used, from /proc."""
    total = 0.0
    for pid in [root_pid, *children(root_pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return total


def children(root_pid: int) -> list[int]:
    """The pids whose parent is root_pid (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == root_pid:
            found.append(int(entry.name))
    return found


@dataclass
class Server:
    """A server process started by a benchmark, stopped by it."""

    process: subprocess.Popen[Any]
    host: str
    port: int
    log: Path

    @property
    def base(self) -> str:
        """Its base URL."""
        return f"http://{self.host}:{self.port}"

    def cpu(self) -> float:
        """CPU seconds of the process tree so far."""
        return process_tree_cpu(self.process.pid)

    def stop(self) -> None:
        """SIGTERM, then wait (SIGKILL after 20 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(app: str, env: dict[str, str], folder: Path, name: str, workers: int, threads: int) -> Server:
    """gunicorn with Rapport's deploy/gunicorn.conf.py serving `app`, workers and threads as asked."""
    port = free_port(TOOL_HOST)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "BENCH_"))}
    full_env.update(env)
    # To compare gunicorn settings: BENCH_KEEPALIVE and BENCH_WORKER_CONNECTIONS stand in for
    # RAPPORT_KEEPALIVE and RAPPORT_WORKER_CONNECTIONS (the shell's own RAPPORT_ settings are left out).
    for name in ("KEEPALIVE", "WORKER_CONNECTIONS"):
        if os.environ.get("BENCH_" + name):
            full_env["RAPPORT_" + name] = os.environ["BENCH_" + name]
    full_env.update(RAPPORT_BIND=f"{TOOL_HOST}:{port}", RAPPORT_WORKERS=str(workers), RAPPORT_THREADS=str(threads))
    log = folder / f"{name}.log"
    with open(log, "w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), app],
            cwd=ROOT, env=full_env, stdout=handle, stderr=subprocess.STDOUT)
    server = Server(process, TOOL_HOST, port, log)
    wait_for(TOOL_HOST, port, "/lti/login", process=process)
    # every worker has booted once it is a child and the master has answered: give them a moment
    deadline = time.monotonic() + 30
    while len(children(process.pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


# -- the simulated platform -------------------------------------------------------------------------
@dataclass
class SimulatedPlatform:
    """A platform's signing key and its key set, served over HTTP by a process of its own."""

    folder: Path
    private_key: Any = None
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    keyset: Server | None = None

    def start(self) -> None:
        """Make a key, write its JWKS, serve it on 127.0.0.5."""
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        jwks_file = self.folder / "platform-jwks.json"
        jwks_file.write_text(json.dumps({"keys": [jwk]}))
        port = free_port(KEYSET_HOST)
        process = subprocess.Popen([sys.executable, "-m", "bench.keyset_server", str(jwks_file), KEYSET_HOST, str(port)],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.keyset = Server(process, KEYSET_HOST, port, jwks_file)
        wait_for(KEYSET_HOST, port, "/count", process=process)

    @property
    def jwks_url(self) -> str:
        """Where the key set is served."""
        assert self.keyset is not None
        return self.keyset.base + "/jwks"

    def fetches(self) -> int:
        """How often the key set has been fetched."""
        assert self.keyset is not None
        conn = http.client.HTTPConnection(self.keyset.host, self.keyset.port, timeout=5)
        conn.request("GET", "/count")
        count = int(conn.getresponse().read())
        conn.close()
        return count

    def id_token(self, target: str, nonce: str, sub: str, link: str = "bench-link-1") -> str:
        """A resource link launch for a learner, signed RS256 like a platform signs it."""
        now = int(time.time())
        claims = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "exp": now + 300, "iat": now, "nonce": nonce,
            "name": f"Student {sub}", "given_name": "Student", "family_name": sub,
            "email": f"{sub}@students.bench.example",
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT_ID, LTI + "target_link_uri": target,
            LTI + "roles": [LEARNER],
            LTI + "resource_link": {"id": link, "title": "Foundations of relational skills"},
            LTI + "context": {"id": "bench-course", "title": "Clinical Skills 1", "label": "CS1"},
            LTI + "custom": {"rapport_kind": "module", "rapport_id": "foundations", "rapport_points": "10"},
            AGS: {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                  "lineitem": ISSUER + "/lineitems/1"},
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def write_tool_key(folder: Path) -> Path:
    """A private key for a reference tool (pylti1p3 wants one even when it never signs)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "tool-key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


# -- simulated students -----------------------------------------------------------------------------
class Browser:
    """One student's browser: a keep-alive connection to the tool and a cookie jar."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request with the cookies; keeps the ones set; reconnects once if the server closed."""
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or "expires=Thu, 01 Jan 1970" in cookie:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def full_launch(browser: Browser, platform: SimulatedPlatform, sub: str) -> None:
    """Login redirect, launch, first page, as a browser between the platform and the tool; raises on any failure."""
    target = f"http://{browser.host}:{browser.port}/lti/launch"
    query = urlencode({"iss": ISSUER, "login_hint": sub, "target_link_uri": target, "client_id": CLIENT_ID,
                       "lti_deployment_id": DEPLOYMENT_ID})
    status, headers, _ = browser.request("GET", "/lti/login?" + query)
    if status != 302:
        raise RuntimeError(f"login answered {status}")
    auth = {k: v[0] for k, v in parse_qs(urlsplit(headers["location"]).query).items()}
    token = platform.id_token(target, auth["nonce"], sub)
    status, headers, body = browser.request("POST", "/lti/launch", {"id_token": token, "state": auth["state"]})
    hops = 0
    while status in (302, 303) and hops < 3:
        location = urlsplit(headers["location"])
        status, headers, body = browser.request("GET", location.path + ("?" + location.query if location.query else ""))
        hops += 1
    if status != 200:
        raise RuntimeError(f"launch ended with {status}: {body[:120]!r}")
    if b"<html" not in body[:400].lower() and b"<!doctype" not in body[:100].lower():
        raise RuntimeError("the first page is not HTML")


@dataclass
class BurstResult:
    """What a burst of launches measured."""

    students: int
    concurrency: int
    seconds: float
    latencies: list[float]
    errors: list[str]
    cpu_seconds: float | None = None

    def percentile(self, p: float) -> float:
        """The p-th percentile launch time, in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
        return ordered[rank] * 1000

    @property
    def per_second(self) -> float:
        """Completed launches per second of wall time."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        """One line of figures."""
        errors = f"{len(self.errors)} errors" + (f" (first: {self.errors[0]})" if self.errors else "")
        return (f"{self.students} students at concurrency {self.concurrency}: {self.per_second:.1f} launches/s, "
                f"p50 {self.percentile(50):.0f} ms, p95 {self.percentile(95):.0f} ms, "
                f"p99 {self.percentile(99):.0f} ms, {errors}, {self.seconds:.2f} s in all")


def burst(server: Server, platform: SimulatedPlatform, students: int, concurrency: int, prefix: str | None = None) -> BurstResult:
    """`students` full launches, all due at once, `concurrency` at a time; CPU of the server's tree measured."""
    prefix = prefix or uuid.uuid4().hex[:6]
    local = threading.local()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    browsers: list[Browser] = []

    def one(i: int) -> None:
        if not hasattr(local, "browser"):
            local.browser = Browser(server.host, server.port)
            with lock:
                browsers.append(local.browser)
        browser: Browser = local.browser
        browser.cookies.clear()  # each launch is another student's browser
        started = time.perf_counter()
        try:
            full_launch(browser, platform, f"{prefix}-{i:05d}")
        except Exception as error:  # counted and reported, never hidden
            with lock:
                errors.append(f"{type(error).__name__}: {error}"[:200])
            return
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)

    cpu_before = server.cpu()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(students)))
    seconds = time.perf_counter() - started
    cpu_after = server.cpu()
    for browser in browsers:
        browser.close()
    return BurstResult(students, concurrency, seconds, latencies, errors, cpu_after - cpu_before)
