"""A real SMTP server for the email tests (aiosmtpd), on loopback.

Every accepted message is written to --dir as <n>.eml. While the file named by --refuse exists,
the server answers 451 to every message, as a busy or broken server would, so the tests can check
that mail is delayed and retried, never lost or sent twice.
"""

import argparse
import asyncio
import os
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, refuse_file):
        self.directory = directory
        self.refuse_file = refuse_file

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_file and os.path.exists(self.refuse_file):
            return "451 4.3.0 Try again later"
        name = os.path.join(self.directory, f"{uuid.uuid4().hex}.eml")
        with open(name + ".tmp", "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        os.replace(name + ".tmp", name)
        return "250 2.0.0 Accepted"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse", default="")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir, args.refuse), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
