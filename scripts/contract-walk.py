"""A short walk through the API with the client openapi-python-client generated from the committed
openapi/openapi.json (imported as `ferrodesk_client`), against a real server. The client raises on
any status the document does not name, so an undocumented answer fails the walk.

The owner signs up (a session), creates an API key with it, and the ticket work (create, list,
reply, get, a 404) goes through the key, the way another tool would call the API; the key is
refused on a people-only operation with a documented 403.

Usage: contract-walk.py BASE_URL (scripts/contract starts the server and the generator).
TODO(issue 12): receive a webhook on a loopback receiver, verifying its signature with
`standardwebhooks` (PyPI), once webhooks land.
"""

import sys
import uuid

from ferrodesk_client import AuthenticatedClient, Client
from ferrodesk_client.api.api_keys import create_api_key
from ferrodesk_client.api.auth import get_me, sign_up
from ferrodesk_client.api.tickets import create_ticket, get_ticket, list_tickets, reply_to_ticket
from ferrodesk_client.models import (
    ApiKeyCreated,
    ApiScope,
    AuthResponse,
    ErrorBody,
    ErrorCode,
    InboxView,
    Message,
    NewApiKey,
    NewMessage,
    NewTicket,
    SignupRequest,
    TicketDetail,
    TicketPage,
)

RATE_LIMIT_FIELDS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


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
        body=NewApiKey(name=key_name, scopes=[ApiScope.TICKETSREAD, ApiScope.TICKETSWRITE]),
    )
    expect(made.status_code == 201 and isinstance(made.parsed, ApiKeyCreated), f"create a key: {made}")
    expect(made.parsed.key.startswith("fd_"), "the key is shown once, fd_...")
    api = AuthenticatedClient(base_url=base_url, token=made.parsed.key, raise_on_unexpected_status=True)

    refused = get_me.sync_detailed(client=api)
    expect(
        refused.status_code == 403 and isinstance(refused.parsed, ErrorBody) and refused.parsed.code == ErrorCode.FORBIDDEN,
        f"a key is refused on a people-only operation with a documented 403: {refused}",
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

    missing = get_ticket.sync_detailed(uuid.uuid4(), client=api)
    expect(
        missing.status_code == 404 and isinstance(missing.parsed, ErrorBody) and missing.parsed.code == ErrorCode.NOT_FOUND,
        f"an unknown ticket is a documented 404 ErrorBody: {missing}",
    )
    print(
        f"contract walk: sign-up, me, a key, and with the key a 403, create, list, reply, get and a 404 passed against {base_url}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
