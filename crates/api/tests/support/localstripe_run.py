"""localstripe (PyPI), a stateful fake of Stripe's API written by others, on loopback for one test.

Its own command line binds every interface and keeps its state in /tmp/localstripe.pickle; this
binds 127.0.0.1 on --port, keeps state in memory only, and prints "ready" once listening. It has
customers, plans, cards and subscriptions, and signs its webhooks itself (registered with
POST /_config/webhooks/<id>), which is what the billing test checks Ferrodesk against: an
implementation of Stripe's wire format and signature that Ferrodesk's authors did not write.
"""

import argparse
import asyncio

from aiohttp import web
from localstripe import resources
from localstripe.server import app


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # Every write would pickle the whole store to one shared file in /tmp.
    resources.Store.dump_to_disk = lambda self: None
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
