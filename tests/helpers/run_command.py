"""The README's run command (scripts/run) as a subprocess: start it, read the address it prints, stop it with Ctrl-C."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"^\s+(http://\S+?)/?\s*$")
# Settings a developer's shell may carry that must not leak into a demo under test.
FOREIGN = ("RAPPORT_CONFIG", "RAPPORT_SECRET_KEY", "RAPPORT_DATABASE_URL", "RAPPORT_REDIS_URL",
           "RAPPORT_TEST_DATABASE_URL", "RAPPORT_TEST_REDIS_URL")


def port_open(host: str, port: int) -> bool:
    """True when something accepts TCP connections at host:port."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class RunCommand:
    """One `bash scripts/run` in its own process group, as a terminal would run it."""

    instance: Path
    tool_host: str
    tool_port: int
    lms_host: str
    lms_port: int
    root: Path = ROOT
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    url: str | None = None
    _printed: threading.Event = field(default_factory=threading.Event)
    _reader: threading.Thread | None = None

    @property
    def tool_url(self) -> str:
        """Rapport's base URL."""
        return f"http://{self.tool_host}:{self.tool_port}"

    @property
    def lms_url(self) -> str:
        """The practice LMS's base URL."""
        return f"http://{self.lms_host}:{self.lms_port}"

    def start(self, timeout: float = 180) -> str:
        """Run the command and return the URL it prints once both servers answer."""
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
        env.update(RAPPORT_INSTANCE=str(self.instance), RAPPORT_HOST=self.tool_host, RAPPORT_PORT=str(self.tool_port),
                   PRACTICE_LMS_HOST=self.lms_host, PRACTICE_LMS_PORT=str(self.lms_port), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            ["bash", "scripts/run"], cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._printed.wait(timeout) or self.url is None:
            self.interrupt()
            raise AssertionError("scripts/run printed no address:\n" + self.output)
        return self.url

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        opened = False
        for line in self.process.stdout:
            self.lines.append(line)
            if "Open:" in line:
                opened = True
            match = URL_LINE.match(line)
            if opened and match and self.url is None:
                self.url = match.group(1) + "/"
                self._printed.set()
        self._printed.set()  # the command ended

    @property
    def output(self) -> str:
        """Everything the command printed so far."""
        return "".join(self.lines)

    def interrupt(self, timeout: float = 30) -> int:
        """Press Ctrl-C (SIGINT to the whole process group) and return the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            raise AssertionError("scripts/run did not stop on Ctrl-C:\n" + self.output) from None
        finally:
            if self._reader is not None:
                self._reader.join(10)
            if self.process.stdout is not None:
                self.process.stdout.close()

    def servers_stopped(self, timeout: float = 10) -> bool:
        """True once neither address accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not port_open(self.tool_host, self.tool_port) and not port_open(self.lms_host, self.lms_port):
                return True
            time.sleep(0.1)
        return False
