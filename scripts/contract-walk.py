"""A short walk through the API with the client openapi-python-client generated from the committed
openapi/openapi.json (imported as `ferrodesk_client`), against a real server. The client raises on
any status the document does not name, so an undocumented answer fails the walk.

The owner signs up (a session), creates an API key with it, and the ticket work (create, list,
reply, get, a 404) goes through the key, the way another tool would call the API; the key is
refused on a people-only operation with a documented 403. The key also registers a webhook to a
receiver this script runs on 127.0.0.1 (the server must allow local webhook URLs:
FERRODESK_WEBHOOKS_ALLOW_LOCAL=1), and the ticket's `ticket.created` delivery must arrive within
20 seconds with a signature that the Standard Webhooks reference library (`standardwebhooks`)
accepts with the secret shown at creation, and refuses with another.

Usage: contract-walk.py BASE_URL (scripts/contract starts the server and the generator).
"""

import queue
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ferrodesk_client import AuthenticatedClient, Client
from ferrodesk_client.api.api_keys import create_api_key
from ferrodesk_client.api.auth import get_me, sign_up
from ferrodesk_client.api.tickets import create_ticket, get_ticket, list_tickets, reply_to_ticket
from ferrodesk_client.api.webhooks import create_webhook, list_webhook_deliveries, list_webhooks
from ferrodesk_client.models import (
    ApiKeyCreated,
    ApiScope,
    AuthResponse,
    DeliveryStatus,
    ErrorBody,
    ErrorCode,
    InboxView,
    Message,
    NewApiKey,
    NewMessage,
    NewTicket,
    NewWebhook,
    SignupRequest,
    TicketDetail,
    TicketPage,
    WebhookDeliveryPage,
    WebhookEvent,
    WebhookList,
    WebhookWithSecret,
)
from standardwebhooks import Webhook as SignatureCheck
from standardwebhooks import WebhookVerificationError

RATE_LIMIT_FIELDS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
DELIVERY_WAIT_SECONDS = 20


class Receiver:
    """A webhook receiver on 127.0.0.1 (a port the system picks): every POST is queued as
    (path, headers, raw body) and answered 204."""

    def __init__(self) -> None:
        received: queue.Queue = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.put((self.path, {name.lower(): value for name, value in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # quiet: the walk prints its own summary
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ferrodesk"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float):
        try:
            return self.received.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def expect(condition, what):
    if not condition:
        sys.exit(f"contract walk: {what}")


def main(base_url: str) -> None:
    public = Client(base_url=base_url, raise_on_unexpected_status=True)
    slug = f"walk-{uuid.uuid4().hex[:8]}"
    signed_up = sign_up.sync_detailed(
        client=public,
        body=SignupRequest(
            workspace_name="Contract Walk",
            workspace_slug=slug,
            name="Walker",
            email=f"owner@{slug}.example",
            password="correct horse battery staple",
        ),
    )
    expect(signed_up.status_code == 201 and isinstance(signed_up.parsed, AuthResponse), f"sign-up: {signed_up}")
    session = AuthenticatedClient(
        base_url=base_url, token=signed_up.parsed.access_token, raise_on_unexpected_status=True
    )

    me = get_me.sync_detailed(client=session)
    expect(me.status_code == 200, f"me: {me.status_code}")

    # The owner's session makes a key; from here on the ticket work goes through the key.
    key_name = "Contract walk tool"
    made = create_api_key.sync_detailed(
        client=session,
        body=NewApiKey(
            name=key_name, scopes=[ApiScope.TICKETSREAD, ApiScope.TICKETSWRITE, ApiScope.WEBHOOKSMANAGE]
        ),
    )
    expect(made.status_code == 201 and isinstance(made.parsed, ApiKeyCreated), f"create a key: {made}")
    expect(made.parsed.key.startswith("fd_"), "the key is shown once, fd_...")
    api = AuthenticatedClient(base_url=base_url, token=made.parsed.key, raise_on_unexpected_status=True)

    refused = get_me.sync_detailed(client=api)
    expect(
        refused.status_code == 403 and isinstance(refused.parsed, ErrorBody) and refused.parsed.code == ErrorCode.FORBIDDEN,
        f"a key is refused on a people-only operation with a documented 403: {refused}",
    )

    # The key registers a webhook to a receiver on loopback before the ticket exists.
    receiver = Receiver()
    hooked = create_webhook.sync_detailed(
        client=api, body=NewWebhook(url=receiver.url, events=[WebhookEvent.TICKET_CREATED])
    )
    expect(hooked.status_code == 201 and isinstance(hooked.parsed, WebhookWithSecret), f"create a webhook: {hooked}")
    webhook, secret = hooked.parsed.webhook, hooked.parsed.secret
    expect(secret.startswith("whsec_"), "the signing secret is shown once, whsec_...")
    hooks = list_webhooks.sync_detailed(client=api)
    expect(
        isinstance(hooks.parsed, WebhookList) and [hook.id for hook in hooks.parsed.items] == [webhook.id],
        f"list webhooks: {hooks}",
    )

    created = create_ticket.sync_detailed(
        client=api,
        body=NewTicket(
            subject="The parcel never came",
            body="Order 1042 is two weeks late.",
            requester_email=f"customer@{slug}.example",
        ),
    )
    expect(created.status_code == 201 and isinstance(created.parsed, TicketDetail), f"create: {created}")
    ticket = created.parsed
    expect(ticket.messages[0].author.name == key_name, f"the key's integration wrote it: {ticket.messages[0].author}")

    listed = list_tickets.sync_detailed(client=api, view=InboxView.ALL)
    expect(isinstance(listed.parsed, TicketPage), f"list: {listed.status_code}")
    expect(any(item.id == ticket.id for item in listed.parsed.items), "the new ticket is in the inbox")
    remaining = [int(listed.headers[name]) for name in RATE_LIMIT_FIELDS]
    expect(remaining[1] < remaining[0], f"the rate-limit fields count down: {remaining}")

    replied = reply_to_ticket.sync_detailed(
        ticket.id, client=api, body=NewMessage(body="Sorry about that: a new parcel left today.")
    )
    expect(replied.status_code == 201 and isinstance(replied.parsed, Message), f"reply: {replied}")
    expect(replied.parsed.author.name == key_name, f"the reply is the key's: {replied.parsed.author}")

    fetched = get_ticket.sync_detailed(ticket.id, client=api)
    expect(isinstance(fetched.parsed, TicketDetail), f"get: {fetched.status_code}")
    bodies = [message.body for message in fetched.parsed.messages]
    expect(bodies[-1].startswith("Sorry about that"), f"the reply is in the thread: {bodies}")

    # The ticket's event reaches the receiver, signed the Standard Webhooks way.
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    arrived = None
    while arrived is None:
        got = receiver.next(deadline - time.monotonic())
        expect(got is not None, f"no ticket.created delivery within {DELIVERY_WAIT_SECONDS} s")
        path, headers, body = got
        try:
            payload = SignatureCheck(secret).verify(body, headers)
        except WebhookVerificationError as error:
            sys.exit(f"contract walk: a delivery's signature does not verify ({error}): {headers}")
        if payload.get("type") == "ticket.created" and payload["data"]["ticket"]["id"] == str(ticket.id):
            arrived = (path, headers, body, payload)
    receiver.close()
    path, headers, body, payload = arrived
    expect(path == "/ferrodesk", f"delivered to the registered path: {path}")
    expect(headers["webhook-id"].startswith("msg_"), f"webhook-id: {headers['webhook-id']}")
    try:
        SignatureCheck("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=").verify(body, headers)
        sys.exit("contract walk: a delivery verified with a secret that is not the endpoint's")
    except WebhookVerificationError:
        pass
    # The log records it (written just after the receiver answered: allow a moment).
    while True:
        page = list_webhook_deliveries.sync_detailed(webhook.id, client=api)
        expect(isinstance(page.parsed, WebhookDeliveryPage), f"deliveries: {page}")
        logged = [item for item in page.parsed.items if item.event == WebhookEvent.TICKET_CREATED]
        if logged and logged[0].status == DeliveryStatus.DELIVERED:
            expect(logged[0].response_status == 204, f"the log has the answer: {logged[0]}")
            break
        expect(time.monotonic() < deadline, f"the delivery log never said delivered: {page.parsed}")
        time.sleep(0.2)

    missing = get_ticket.sync_detailed(uuid.uuid4(), client=api)
    expect(
        missing.status_code == 404 and isinstance(missing.parsed, ErrorBody) and missing.parsed.code == ErrorCode.NOT_FOUND,
        f"an unknown ticket is a documented 404 ErrorBody: {missing}",
    )
    print(
        "contract walk: sign-up, me, a key, and with the key a 403, a webhook, create, list, a signed delivery, "
        f"reply, get and a 404 passed against {base_url}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
