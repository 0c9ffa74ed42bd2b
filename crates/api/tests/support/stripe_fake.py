"""A fake Stripe for the billing tests, on loopback, speaking Stripe's real HTTP wire protocol.

The server talks to it exactly as it talks to api.stripe.com (async-stripe, form-encoded bodies with
bracket keys, a Bearer secret key, Idempotency-Key and Stripe-Version headers), and it sends signed
webhooks back exactly as Stripe does (a compact JSON event, `Stripe-Signature: t=...,v1=...` with one
v1 per webhook secret). So the API tests (Rust, which start it as a child process) and the browser
tests (Playwright) run the whole billing path without a network or a Stripe account.

What it fakes:
- the API: POST /v1/customers, POST /v1/checkout/sessions, POST /v1/billing_portal/sessions,
  GET /v1/subscriptions/<id>, with Stripe's error shapes, idempotent replays and a "down" switch;
- the hosted pages a browser is sent to: a Checkout page (/c/pay/<id>) whose Subscribe button
  creates the subscription and sends checkout.session.completed, customer.subscription.created and
  invoice.paid, and a Billing Portal page (/p/session/<id>) whose Cancel plan button cancels it and
  sends customer.subscription.deleted;
- objects complete for the API version async-stripe 1.0.0-rc.10 pins (2026-09-30.endive), so a
  strict reader of that version would accept them as well as the server's lenient one.

What it does not: take payments, prorate, renew, retry, expire sessions, send any event it is not
asked to, or keep anything on disk. Every price costs $29.00 a month.

Control endpoints under /_fake/ (no auth, JSON) let a test read what was asked and sent, replay an
event, change a subscription's status, send an arbitrary event and switch the API off.

It binds 127.0.0.1 only, prints `ready <port>` on stdout once listening (the port it got, for
--port 0) and logs one line per request to stderr. Usage:
    python3 stripe_fake.py --port 0 --webhook-url URL --webhook-secret whsec_a [--webhook-secret whsec_b]
(without --webhook-url, POST {"webhook_url": URL} to /_fake/config before the first event).
"""

import argparse
import base64
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2026-09-30.endive"
AMOUNT = 2900
PERIOD = 30 * 86400
PRODUCT = "prod_ferrodesk_pro"
LIVE = ("active", "past_due")
ALNUM = string.ascii_letters + string.digits
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


class Refusal(Exception):
    """An error answer in Stripe's shape: raised by a handler, sent by the dispatcher."""

    def __init__(self, status, kind, message, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": kind, "message": message, **extra}}


def now():
    return int(time.time())


def random_id(prefix, length=24):
    return prefix + "".join(secrets.choice(ALNUM) for _ in range(length))


def missing(kind, name, param):
    return Refusal(
        404 if param == "id" else 400,
        "invalid_request_error",
        f"No such {kind}: '{name}'",
        code="resource_missing",
        param=param,
    )


def unrecognized(method, path):
    return Refusal(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )


def parse_form(text):
    """Stripe's form encoding: a flat dict (key -> last value) and the brackets nested."""
    flat, nested = {}, {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        flat[key] = value
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2)) if match else [key]
        node = nested
        for index, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            if index == len(parts) - 1:
                node[part] = value
            else:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
    return flat, listify(nested)


def listify(node):
    """Dicts whose keys are all indexes (`line_items[0]`) become lists."""
    if not isinstance(node, dict):
        return node
    items = {key: listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def string_map(value):
    """Stripe's metadata: a map of strings."""
    if not isinstance(value, dict):
        return {}
    return {str(key): str(item) for key, item in value.items()}


def day(timestamp):
    moment = time.gmtime(timestamp)
    return f"{time.strftime('%B', moment)} {moment.tm_mday}, {moment.tm_year}"


# Stripe's objects, as the pinned API version renders them.


def customer_object(params):
    return {
        "id": random_id("cus_"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "email": params.get("email"),
        "invoice_prefix": "".join(secrets.choice(string.ascii_uppercase) for _ in range(8)),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": string_map(params.get("metadata")),
        "name": params.get("name"),
        "phone": params.get("phone"),
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def session_object(params, customer, base_url):
    created = now()
    session_id = random_id("cs_test_", 58)
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": AMOUNT,
        "amount_total": AMOUNT,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": "usd",
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer["id"],
        "customer_creation": None,
        "customer_details": {
            "address": None,
            "email": customer.get("email"),
            "name": customer.get("name"),
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "customer_email": None,
        "discounts": [],
        "expires_at": created + 86400,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": None,
        "metadata": string_map(params.get("metadata")),
        "mode": "subscription",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": f"{base_url}/c/pay/{session_id}",
    }


def price_object(price, created):
    return {
        "id": price,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": "usd",
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": "Pro",
        "product": PRODUCT,
        "recurring": {"interval": "month", "interval_count": 1, "meter": None, "usage_type": "licensed"},
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring",
        "unit_amount": AMOUNT,
        "unit_amount_decimal": str(AMOUNT),
    }


def plan_object(price, created):
    """The legacy view of the price, which Stripe still sends on each subscription item."""
    return {
        "id": price,
        "object": "plan",
        "active": True,
        "amount": AMOUNT,
        "amount_decimal": str(AMOUNT),
        "billing_scheme": "per_unit",
        "created": created,
        "currency": "usd",
        "interval": "month",
        "interval_count": 1,
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": "Pro",
        "product": PRODUCT,
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def subscription_object(customer, price, metadata, status):
    start = now()
    subscription_id = random_id("sub_")
    item = {
        "id": random_id("si_", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": start,
        "current_period_end": start + PERIOD,
        "current_period_start": start,
        "discounts": [],
        "metadata": {},
        "plan": plan_object(price, start),
        "price": price_object(price, start),
        "quantity": 1,
        "subscription": subscription_id,
        "tax_rates": [],
    }
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": start,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": {"proration_discounts": "included"}, "type": "flexible", "updated_at": start},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": start,
        "currency": "usd",
        "customer": customer,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": [item],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "presentment_details": None,
        "schedule": None,
        "start_date": start,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def period_of(subscription):
    item = subscription["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def invoice_object(subscription, customer, status, reason, number):
    """An invoice for the subscription's current period: `paid`, `open` (payment failed) or `draft`."""
    created = now()
    invoice_id = random_id("in_")
    paid = AMOUNT if status == "paid" else 0
    start, end = period_of(subscription)
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Ferrodesk (fake)",
        "account_tax_ids": None,
        "amount_due": AMOUNT,
        "amount_overpaid": 0,
        "amount_paid": paid,
        "amount_remaining": AMOUNT - paid,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0 if status == "draft" else 1,
        "attempted": status != "draft",
        "auto_advance": status != "paid",
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None, "status": None},
        "automatically_finalizes_at": None,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": created,
        "currency": "usd",
        "custom_fields": None,
        "customer": subscription["customer"],
        "customer_account": None,
        "customer_address": None,
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None if status == "draft" else created,
        "ending_balance": None if status == "draft" else 0,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {"object": "list", "data": [], "has_more": False, "url": f"/v1/invoices/{invoice_id}/lines"},
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": created + 3 * 86400 if status == "open" else None,
        "number": None if status == "draft" else number,
        "on_behalf_of": None,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
        },
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "period_end": end,
        "period_start": start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": status,
        "status_transitions": {
            "finalized_at": None if status == "draft" else created,
            "marked_uncollectible_at": None,
            "paid_at": created if status == "paid" else None,
            "voided_at": None,
        },
        "subtotal": AMOUNT,
        "subtotal_excluding_tax": AMOUNT,
        "test_clock": None,
        "total": AMOUNT,
        "total_discount_amounts": [],
        "total_excluding_tax": AMOUNT,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def invoice_status_for(event_type):
    """The invoice an `invoice.*` event carries: unpaid for a failure, a draft when created."""
    if event_type in ("invoice.payment_failed", "invoice.finalized", "invoice.payment_action_required"):
        return "open"
    if event_type == "invoice.created":
        return "draft"
    return "paid"


def event_body(event_type, obj, previous=None):
    data = {"object": obj}
    if previous:
        data["previous_attributes"] = previous
    event = {
        "id": random_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return event["id"], json.dumps(event, separators=(",", ":"))


def signature(body, secrets_, timestamp):
    signed = f"{timestamp}.".encode() + body.encode("utf-8")
    parts = [f"t={timestamp}"]
    for secret in secrets_:
        parts.append("v1=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest())
    return ",".join(parts)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stripe does not follow a webhook endpoint's redirects: a 3xx is a failed delivery."""

    def redirect_request(self, *args, **kwargs):
        return None


# Direct, never through an HTTP(S)_PROXY from the environment: the endpoint is on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())


class Fake:
    """Stripe's state for one account, behind one lock. Webhooks are sent with the lock released,
    so the server may call the API back while it handles one."""

    def __init__(self, webhook_url, webhook_secrets):
        self.lock = threading.Lock()
        self.base_url = ""
        self.webhook_url = webhook_url
        self.webhook_secrets = list(webhook_secrets)
        self.down = False
        self.customers = {}
        self.sessions = {}
        self.session_prices = {}
        self.subscription_data = {}
        self.portals = {}
        self.subscriptions = {}
        self.invoices = {}
        self.idempotent = {}
        self.requests = []
        self.events = {}
        self.deliveries = []

    # The API (/v1): recorded, switched off while down, authenticated, idempotent.

    def api(self, method, path, query, body, headers):
        """Answers one /v1 request: (status, body, extra headers)."""
        params = parse_form(body if method == "POST" else query)
        key = headers.get("Idempotency-Key")
        with self.lock:
            record = {
                "method": method,
                "path": path,
                "query": parse_form(query)[0],
                "form": params[0],
                "params": params[1],
                "headers": {"Idempotency-Key": key, "Stripe-Version": headers.get("Stripe-Version")},
                "status": None,
            }
            self.requests.append(record)
            status, answer, extra = self.answer(method, path, params, key, headers.get("Authorization", ""))
            record["status"] = status
            # A copy: it is written out after the lock is released.
            return status, copy.deepcopy(answer), extra

    def answer(self, method, path, params, key, authorization):
        try:
            if self.down:
                raise Refusal(503, "api_error", "The fake is down")
            if not secret_key(authorization).startswith("sk_test_"):
                raise Refusal(401, "invalid_request_error", "Invalid API Key provided")
            fingerprint = (method, path, sorted(params[0].items()))
            if method == "POST" and key:
                replay = self.replay(key, fingerprint)
                if replay:
                    return replay
            answer = self.route(method, path, params[1])
            if method == "POST" and key:
                # A copy: a replay answers the object as it was first answered.
                self.idempotent[key] = (fingerprint, copy.deepcopy(answer))
            return 200, answer, {}
        except Refusal as refusal:
            return refusal.status, refusal.body, {}

    def replay(self, key, fingerprint):
        if key not in self.idempotent:
            return None
        first, answer = self.idempotent[key]
        if first[:2] != fingerprint[:2]:
            raise Refusal(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used for the same endpoint they were first "
                f"used for ('{first[0]} {first[1]}' vs '{fingerprint[0]} {fingerprint[1]}').",
            )
        if first != fingerprint:
            raise Refusal(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            )
        return 200, answer, {"Idempotent-Replayed": "true"}

    def route(self, method, path, params):
        if (method, path) == ("POST", "/v1/customers"):
            return self.create_customer(params)
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            return self.create_session(params)
        if (method, path) == ("POST", "/v1/billing_portal/sessions"):
            return self.create_portal(params)
        match = re.fullmatch(r"/v1/subscriptions/([^/]+)", path)
        if method == "GET" and match:
            subscription = self.subscriptions.get(match.group(1))
            if subscription is None:
                raise missing("subscription", match.group(1), "id")
            return subscription
        raise unrecognized(method, path)

    def create_customer(self, params):
        customer = customer_object(params)
        self.customers[customer["id"]] = customer
        return customer

    def create_session(self, params):
        customer = self.customers.get(params.get("customer"))
        if customer is None:
            raise missing("customer", params.get("customer"), "customer")
        if params.get("mode") != "subscription":
            raise Refusal(400, "invalid_request_error", "The fake only supports mode=subscription.", param="mode")
        items = params.get("line_items")
        first = items[0] if isinstance(items, list) and items else None
        price = first.get("price") if isinstance(first, dict) else None
        if not price:
            raise Refusal(
                400,
                "invalid_request_error",
                "Missing required param: line_items[0][price].",
                code="parameter_missing",
                param="line_items[0][price]",
            )
        if not params.get("success_url"):
            raise Refusal(
                400,
                "invalid_request_error",
                "Missing required param: success_url.",
                code="parameter_missing",
                param="success_url",
            )
        session = session_object(params, customer, self.base_url)
        self.sessions[session["id"]] = session
        self.session_prices[session["id"]] = price
        subscription_data = params.get("subscription_data")
        metadata = subscription_data.get("metadata") if isinstance(subscription_data, dict) else None
        self.subscription_data[session["id"]] = string_map(metadata)
        return session

    def create_portal(self, params):
        customer = params.get("customer")
        if customer not in self.customers:
            raise missing("customer", customer, "customer")
        portal_id = random_id("bps_")
        portal = {
            "id": portal_id,
            "object": "billing_portal.session",
            "configuration": "bpc_fake",
            "created": now(),
            "customer": customer,
            "flow": None,
            "livemode": False,
            "locale": None,
            "on_behalf_of": None,
            "return_url": params.get("return_url"),
            "url": f"{self.base_url}/p/session/{portal_id}",
        }
        self.portals[portal_id] = portal
        return portal

    # Objects made while the lock is held; their events are sent after it is released.

    def new_subscription(self, customer, price, metadata, status, reason):
        """A subscription and its first invoice; answers both."""
        subscription = subscription_object(customer, price, metadata, status)
        invoice_status = "paid" if status in ("active", "trialing") else "open"
        invoice = self.new_invoice(subscription, invoice_status, reason)
        self.subscriptions[subscription["id"]] = subscription
        return subscription, invoice

    def new_invoice(self, subscription, status, reason):
        customer = self.customers.get(subscription["customer"], {})
        number = f"{customer.get('invoice_prefix', 'FAKE')}-{len(self.invoices) + 1:04d}"
        invoice = invoice_object(subscription, customer, status, reason, number)
        self.invoices[invoice["id"]] = invoice
        subscription["latest_invoice"] = invoice["id"]
        return invoice

    # The hosted pages a browser is sent to.

    def checkout_page(self, session_id):
        with self.lock:
            session = copy.deepcopy(self.sessions.get(session_id))
            customer = self.customers.get(session["customer"], {}) if session else {}
        if session is None:
            return 404, page("Not found", "<h1>This checkout does not exist</h1>")
        if session["status"] == "complete":
            link = html.escape(success_url(session))
            return 200, page(
                "Checkout - Ferrodesk Pro",
                f'<h1>Subscribe to Ferrodesk Pro</h1><p>This checkout is already complete.</p>'
                f'<p><a href="{link}">Continue</a></p>',
            )
        return 200, page(
            "Checkout - Ferrodesk Pro",
            f"<h1>Subscribe to Ferrodesk Pro</h1>"
            f'<p class="email">{html.escape(customer.get("email") or "")}</p>'
            f'<p class="price">$29.00 per month</p>'
            f'<form method="post" action="/c/pay/{html.escape(session_id)}">'
            f'<button type="submit">Subscribe</button></form>'
            f'<p><a href="{html.escape(session.get("cancel_url") or "/")}">Back</a></p>',
        )

    def pay(self, session_id):
        """The Subscribe button: answers (redirect, events to send), or None for an unknown session."""
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                return None
            if session["status"] == "complete":
                return success_url(session), []
            subscription, invoice = self.new_subscription(
                session["customer"],
                self.session_prices[session_id],
                self.subscription_data[session_id],
                "active",
                "subscription_create",
            )
            session.update(
                status="complete",
                payment_status="paid",
                subscription=subscription["id"],
                invoice=invoice["id"],
                url=None,
            )
            events = [
                ("checkout.session.completed", copy.deepcopy(session), None),
                ("customer.subscription.created", copy.deepcopy(subscription), None),
                ("invoice.paid", copy.deepcopy(invoice), None),
            ]
            return success_url(session), events

    def portal_page(self, portal_id):
        with self.lock:
            portal = self.portals.get(portal_id)
            if portal is None:
                return 404, page("Not found", "<h1>This billing session does not exist</h1>")
            mine = [copy.deepcopy(s) for s in self.subscriptions.values() if s["customer"] == portal["customer"]]
        rows = "".join(subscription_row(subscription) for subscription in mine) or "<li>No subscriptions</li>"
        cancel = ""
        if any(subscription["status"] in LIVE for subscription in mine):
            cancel = (
                f'<form method="post" action="/p/session/{html.escape(portal_id)}/cancel">'
                f'<button type="submit">Cancel plan</button></form>'
            )
        return 200, page(
            "Ferrodesk billing",
            f"<h1>Ferrodesk billing</h1><ul>{rows}</ul>{cancel}"
            f'<p><a href="{html.escape(portal.get("return_url") or "/")}">Return to Ferrodesk</a></p>',
        )

    def cancel(self, portal_id):
        """The Cancel plan button: answers (redirect, events to send), or None for an unknown session."""
        with self.lock:
            portal = self.portals.get(portal_id)
            if portal is None:
                return None
            back = portal.get("return_url") or f"/p/session/{portal_id}"
            live = [s for s in self.subscriptions.values() if s["customer"] == portal["customer"] and s["status"] in LIVE]
            if not live:
                return back, []
            subscription = max(live, key=lambda s: s["created"])
            set_status(subscription, "canceled")
            subscription["cancellation_details"]["reason"] = "cancellation_requested"
            return back, [("customer.subscription.deleted", copy.deepcopy(subscription), None)]

    # Webhooks.

    def deliver(self, event_type, obj, previous=None):
        """Makes an event, keeps it, sends it; answers the attempt's record."""
        event_id, body = event_body(event_type, obj, previous)
        with self.lock:
            self.events[event_id] = (event_type, body)
        return self.send(event_id, event_type, body)

    def send(self, event_id, event_type, body, timestamp=None):
        """One delivery attempt, signed now (or at `timestamp`); recorded, never raised."""
        with self.lock:
            url, keys = self.webhook_url, list(self.webhook_secrets)
        header = signature(body, keys, timestamp if timestamp is not None else now())
        status, error = post_webhook(url, body, header)
        record = {
            "id": event_id,
            "type": event_type,
            "status": status,
            "error": error,
            "body": body,
            "signature": header,
            "url": url,
        }
        log(f"webhook {event_id} {event_type} -> {status if status is not None else error}")
        with self.lock:
            self.deliveries.append(record)
        return record

    def resend(self, event_id, timestamp=None):
        with self.lock:
            kept = self.events.get(event_id)
        if kept is None:
            return None
        return self.send(event_id, kept[0], kept[1], timestamp)

    def send_all(self, events):
        return [self.deliver(event_type, obj, previous) for event_type, obj, previous in events]

    # Control endpoints.

    def control_create(self, spec):
        """POST /_fake/subscriptions: a subscription without a checkout, and its events."""
        customer = spec.get("customer")
        if not isinstance(customer, str) or not customer:
            raise Refusal(400, "invalid_request_error", "customer is required", param="customer")
        wanted = check_kinds(spec.get("events") or [])
        with self.lock:
            subscription, invoice = self.new_subscription(
                customer,
                spec.get("price") or "price_pro",
                string_map(spec.get("metadata")),
                spec.get("status") or "active",
                "subscription_create",
            )
            events = [self.event_for(kind, subscription, {}, invoice) for kind in wanted]
            answer = copy.deepcopy(subscription)
        self.send_all(events)
        return answer

    def control_update(self, subscription_id, spec):
        """POST /_fake/subscriptions/<id>: a new status (and cancel_at_period_end), then the events."""
        wanted = check_kinds(spec.get("events") or [])
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:
                raise missing("subscription", subscription_id, "id")
            previous = {}
            if spec.get("status") and spec["status"] != subscription["status"]:
                previous["status"] = subscription["status"]
                set_status(subscription, spec["status"])
            if "cancel_at_period_end" in spec and bool(spec["cancel_at_period_end"]) != subscription["cancel_at_period_end"]:
                previous["cancel_at_period_end"] = subscription["cancel_at_period_end"]
                subscription["cancel_at_period_end"] = bool(spec["cancel_at_period_end"])
                subscription["cancel_at"] = period_of(subscription)[1] if subscription["cancel_at_period_end"] else None
            events = [self.event_for(kind, subscription, previous) for kind in wanted]
            answer = copy.deepcopy(subscription)
        return {"subscription": answer, "events": self.send_all(events)}

    def event_for(self, kind, subscription, previous, invoice=None):
        """An event about `subscription`: itself, or an invoice for it (a fresh one unless given)."""
        if kind.startswith("invoice."):
            status = invoice_status_for(kind)
            if invoice is None or invoice["status"] != status:
                invoice = self.new_invoice(subscription, status, "subscription_cycle")
            return kind, copy.deepcopy(invoice), None
        return kind, copy.deepcopy(subscription), (previous if kind.endswith(".updated") else None)

    def control(self, method, path, spec):
        """The /_fake/ endpoints: (status, body)."""
        if (method, path) == ("GET", "/_fake/requests"):
            with self.lock:
                return 200, copy.deepcopy(self.requests)
        if (method, path) == ("GET", "/_fake/events"):
            with self.lock:
                return 200, list(self.deliveries)
        if (method, path) == ("POST", "/_fake/reset"):
            with self.lock:
                self.requests.clear()
            return 200, {"reset": True}
        if (method, path) == ("POST", "/_fake/down"):
            with self.lock:
                self.down = bool(spec.get("down", True))
                return 200, {"down": self.down}
        if (method, path) == ("POST", "/_fake/config"):
            with self.lock:
                if "webhook_url" in spec:
                    self.webhook_url = spec["webhook_url"]
                return 200, {"webhook_url": self.webhook_url}
        if (method, path) == ("POST", "/_fake/subscriptions"):
            return 200, self.control_create(spec)
        if (method, path) == ("POST", "/_fake/events"):
            if not isinstance(spec.get("type"), str) or not isinstance(spec.get("object"), dict):
                raise Refusal(400, "invalid_request_error", "type (a string) and object (an object) are required")
            return 200, self.deliver(spec["type"], spec["object"], spec.get("previous_attributes"))
        match = re.fullmatch(r"/_fake/subscriptions/([^/]+)", path)
        if method == "POST" and match:
            return 200, self.control_update(match.group(1), spec)
        match = re.fullmatch(r"/_fake/events/([^/]+)/resend", path)
        if method == "POST" and match:
            record = self.resend(match.group(1), spec.get("timestamp"))
            if record is None:
                raise missing("event", match.group(1), "id")
            return 200, record
        raise unrecognized(method, path)


def secret_key(authorization):
    """The key from `Bearer <key>`, or from `Basic <key:>` as Stripe also takes it (`curl -u sk_test_...:`)."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode("utf-8").partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return ""
    return ""


def check_kinds(kinds):
    """The event types the control endpoints can make about a subscription."""
    if not isinstance(kinds, list):
        raise Refusal(400, "invalid_request_error", "events must be a list of event types", param="events")
    for kind in kinds:
        if not isinstance(kind, str) or not kind.startswith(("customer.subscription.", "invoice.")):
            raise Refusal(
                400,
                "invalid_request_error",
                f"Unsupported event type {kind!r}: use customer.subscription.* or invoice.* "
                "(or POST /_fake/events for anything else)",
                param="events",
            )
    return kinds


def set_status(subscription, status):
    subscription["status"] = status
    if status == "canceled" and subscription["canceled_at"] is None:
        subscription["canceled_at"] = subscription["ended_at"] = now()


def success_url(session):
    return (session.get("success_url") or "/").replace("{CHECKOUT_SESSION_ID}", session["id"])


def subscription_row(subscription):
    start, end = period_of(subscription)
    if subscription["status"] == "canceled":
        when = f"Canceled on {day(subscription['canceled_at'] or end)}"
    else:
        when = f"Renews on {day(end)}"
    return (
        f'<li class="subscription">Ferrodesk Pro, $29.00 per month: '
        f'<span class="status">{html.escape(subscription["status"])}</span>. {when}</li>'
    )


def page(title, content):
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body>{content}</body></html>"
    )


def post_webhook(url, body, header):
    """POSTs one delivery (10 s timeout): answers (HTTP status or None, error or None)."""
    if not url:
        return None, "no webhook URL configured"
    request = urllib.request.Request(
        url,
        data=body.encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": header,
        },
    )
    try:
        with OPENER.open(request, timeout=10) as response:
            response.read()
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))


def log(line):
    print(f"stripe_fake: {line}", file=sys.stderr, flush=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # a browser opens several connections at once


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-fake"
    sys_version = ""
    fake = None  # set by main()

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        path, body = url.path, self.read_body()
        try:
            if path.startswith("/v1/"):
                status, answer, extra = self.fake.api(method, path, url.query, body, self.headers)
                self.send_json(status, answer, extra)
            elif path.startswith("/_fake/"):
                self.send_json(*self.fake.control(method, path, self.json_body(body)))
            else:
                self.browser(method, path)
        except Refusal as refusal:
            self.send_json(refusal.status, refusal.body)
        except Exception as error:  # a bug here: answer it, as Stripe would, rather than hang up
            log(f"error: {error!r}")
            self.send_json(500, {"error": {"type": "api_error", "message": f"The fake failed: {error!r}"}})

    def browser(self, method, path):
        """The hosted Checkout and Billing Portal pages."""
        match = re.fullmatch(r"/c/pay/([^/]+)", path)
        if match and method == "GET":
            return self.send_html(*self.fake.checkout_page(match.group(1)))
        if match and method == "POST":
            return self.after_form(self.fake.pay(match.group(1)))
        match = re.fullmatch(r"/p/session/([^/]+)", path)
        if match and method == "GET":
            return self.send_html(*self.fake.portal_page(match.group(1)))
        match = re.fullmatch(r"/p/session/([^/]+)/cancel", path)
        if match and method == "POST":
            return self.after_form(self.fake.cancel(match.group(1)))
        raise unrecognized(method, path)

    def after_form(self, outcome):
        """Sends a form's events, then sees the browser on (303), as Stripe's pages do."""
        if outcome is None:
            return self.send_html(404, page("Not found", "<h1>Not found</h1>"))
        location, events = outcome
        self.fake.send_all(events)
        self.send_answer(303, b"", "text/plain", {"Location": location})

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace") if length else ""

    def json_body(self, body):
        try:
            spec = json.loads(body) if body.strip() else {}
        except json.JSONDecodeError as error:
            raise Refusal(400, "invalid_request_error", f"Invalid JSON: {error}")
        if not isinstance(spec, dict):
            raise Refusal(400, "invalid_request_error", "Expected a JSON object")
        return spec

    def send_json(self, status, answer, extra=None):
        body = json.dumps(answer, indent=2).encode("utf-8")
        self.send_answer(status, body, "application/json", extra or {})

    def send_html(self, status, text):
        self.send_answer(status, text.encode("utf-8"), "text/html; charset=utf-8", {})

    def send_answer(self, status, body, content_type, extra):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", random_id("req_", 14))
        self.send_header("Stripe-Version", self.headers.get("Stripe-Version") or API_VERSION)
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code="-", size="-"):
        log(f"{self.command} {self.path} -> {code}")

    def log_message(self, format, *args):
        log(format % args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--webhook-url", default="", help="or later: POST /_fake/config")
    parser.add_argument("--webhook-secret", action="append", default=[], help="repeat to sign with each")
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    Handler.fake = Fake(args.webhook_url, args.webhook_secret)
    Handler.fake.base_url = f"http://127.0.0.1:{port}"
    print(f"ready {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
