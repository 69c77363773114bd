"""The submit benchmark's baseline: the least a submit endpoint could do. One aiohttp
handler that reads the body, makes one pipelined write of it plus one sorted-set add, and
answers 201. Run as `python -m bench.baseline_server PORT` with HUB_REDIS_URL set."""

from __future__ import annotations

import os
import sys
import uuid

from aiohttp import web
from redis.asyncio import Redis


def create_app(redis_url: str) -> web.Application:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    redis = Redis.from_url(redis_url)

    async def submit(request: web.Request) -> web.Response:
        body = await request.read()
        key = uuid.uuid4().hex
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(f"baseline:{key}", body)
            pipe.zadd("baseline:index", {key: 1.0})
            await pipe.execute()
        return web.json_response({"id": key}, status=201)

    app.router.add_post("/", submit)
    return app


if __name__ == "__main__":
    web.run_app(create_app(os.environ["HUB_REDIS_URL"]), host="127.0.0.1", port=int(sys.argv[1]),
                print=None)
