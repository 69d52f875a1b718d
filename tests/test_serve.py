"""`sellercare serve` as `make run` starts it: a real uvicorn process, embedded mode, demo data."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

LOGIN = ('mutation { login(input: {email: "admin@demo.test", password: "demo", tenant: "demo"}) '
         '{ accessToken errors { code } } }')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_runs_embedded_with_the_demo_tenant(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update({"SELLERCARE_VAR_DIR": str(tmp_path), "SELLERCARE_ENV": "development",
                "DATABASE_URL": f"sqlite://{tmp_path / 'serve.sqlite3'}",
                # This checkout's code, whichever one the virtualenv was installed from.
                "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), env.get("PYTHONPATH")]))})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scripts.cli", "serve", "--port", str(port), env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            for _ in range(300):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.returncode is None, "sellercare serve exited"
                await asyncio.sleep(0.2)
            login = (await client.post("/graphql", json={"query": LOGIN})).json()
            token = login["data"]["login"]["accessToken"]
            assert token, login
            viewer = (await client.post(
                "/graphql", json={"query": "{ viewer { user { email } permissions } teams(first: 1) "
                                           "{ edges { node { name } } } }"},
                headers={"Authorization": f"Bearer {token}"})).json()
            assert viewer["data"]["viewer"]["user"]["email"] == "admin@demo.test"
            assert "team.role:write" in viewer["data"]["viewer"]["permissions"]
            assert viewer["data"]["teams"]["edges"][0]["node"]["name"] == "Support"
            ide = await client.get("/graphql", headers={"Accept": "text/html"})
            assert "GraphiQL" in ide.text
            assert ide.status_code == 200, ide.text  # 503: its assets are not installed (make install)
            assert "unpkg.com" not in ide.text and 'src="/static/graphiql/graphiql.min.js"' in ide.text
            bundle = await client.get("/static/graphiql/graphiql.min.js")
            assert bundle.status_code == 200 and len(bundle.content) > 1_000_000
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()
