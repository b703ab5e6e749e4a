"""The read API's floor on this machine: the same HTTP server (aiohttp, one process) giving the
very bytes of a chronology answer from memory to the same closed-loop readers.

Run side by side with the read API, it separates what the framework and the machine cost from
what a read costs the hub (its queries, decrypting each sealed field, building the chronology,
auditing the read): if the floor meets the target and the API does not, the gap is the hub's.

The server runs as its own process (``python -m ops.bench.http_floor``), given the answer on
stdin (never written to disk: it holds the synthetic child's details), and prints its port.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from aiohttp import web

from ops.bench.phases import Progress, readers


def main() -> None:
    body = sys.stdin.buffer.read()

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/answer", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(port, flush=True)
        await asyncio.Event().wait()  # until terminated

    asyncio.run(serve())


def measure(body: bytes, *, users: int, seconds: float, progress: Progress) -> dict[str, Any]:
    """`users` readers of `body` served from memory for `seconds`: the read API's figures."""
    server = subprocess.Popen(
        [sys.executable, "-m", "ops.bench.http_floor"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        # Popen with PIPEs: both are there.
        assert server.stdin is not None
        assert server.stdout is not None
        server.stdin.write(body)
        server.stdin.close()
        line = server.stdout.readline()
        if not line.strip():
            raise RuntimeError("the HTTP floor's server did not start (see its stderr above)")
        port = int(line)
        figures, served = readers(
            f"http://127.0.0.1:{port}/answer",
            params={},
            headers={},
            users=users,
            seconds=seconds,
            progress=progress,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {**figures, "answer_bytes": len(served)}


if __name__ == "__main__":
    main()
