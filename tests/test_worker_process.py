"""`sellercare worker` as operators run it, against a Redis server of the test's own: it outlives
a Redis outage (stop the server, start it again: the worker serves again by itself), logs the jobs
it runs, and a SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self, port: int) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed: the tests need it (see README)"
        self.binary, self.port = binary, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(_free_port())
    server.start()
    yield server
    server.stop()


def _env(tmp: Path, redis_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SELLERCARE_", "TEST_")) and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update({"SELLERCARE_ENV": "development", "SECRET_KEY": "w" * 48, "SELLERCARE_VAR_DIR": str(tmp),
                "DATABASE_URL": f"sqlite://{tmp / 'worker.sqlite3'}", "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "PYTHONPATH": str(ROOT)})
    return env


async def _runs_a_job(port: int, wait_s: float) -> bool:
    pool = await create_pool(RedisSettings(port=port))
    try:
        job = await pool.enqueue_job("core.dispatch_event", str(uuid.uuid4()))
        assert job is not None
        return await job.result(timeout=wait_s) == []
    finally:
        await pool.aclose()


async def test_the_worker_rides_out_a_redis_outage_and_stops_on_sigterm(redis_server: RedisServer,
                                                                       tmp_path: Path) -> None:
    env = _env(tmp_path, redis_server.port)
    migrated = subprocess.run([sys.executable, "-m", "scripts.cli", "migrate"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    log = (tmp_path / "worker.log").open("w+")
    # Popen returns at once: the worker runs beside the test's event loop.
    worker = subprocess.Popen([sys.executable, "-m", "scripts.cli", "worker", "--grace", "5"],  # noqa: ASYNC220
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert await _runs_a_job(redis_server.port, 60)
        redis_server.stop()
        await asyncio.sleep(3)
        assert worker.poll() is None, "the worker exited when Redis went away"
        redis_server.start()
        assert await _runs_a_job(redis_server.port, 60), "the worker did not serve again after Redis came back"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        log.seek(0)
        output = log.read()
        log.close()
    assert "core.dispatch_event" in output  # arq's line per job: start, duration, outcome
    assert "lost Redis" in output and "stopped by signal" in output, output[-3000:]
