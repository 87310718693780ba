"""The public JSON booking API, /booking/api/v1 (DESIGN.md section 6).

Every request is validated against the schemas of ``booking_api/schemas.py``
(``booking_api/validator.py``), from which ``openapi.json`` is generated too
(``booking_api/openapi.py``). Handlers parse, make one call to the models, and
serialise the answer with the ``_api_*_payload`` methods. Every answer is JSON: errors
carry a stable ``error`` code, and nothing is written when a request fails
(rate-limit hits aside, which are the point of a limit).
"""

import functools
import gzip
import hashlib
import json
import logging
from datetime import UTC, timedelta

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound
from werkzeug.http import parse_accept_header

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import html2plaintext

from odoo.addons.bus.websocket import WebsocketConnectionHandler

from ..booking_api import openapi
from ..booking_api import schemas
from ..booking_api import validator
from ..const import MAX_SLOT_RANGE_DAYS
from ..const import URL_ID as ID
from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import ContractMismatchError
from ..exceptions import IdempotencyKeyReused
from ..exceptions import LoginRequiredError
from ..exceptions import SeriesUnavailableError
from ..exceptions import SlotUnavailableError

_logger = logging.getLogger(__name__)

API = schemas.API_PREFIX
NO_STORE = [("Cache-Control", "no-store")]


class ApiError(Exception):
    """An answer other than 2xx, raised from anywhere in a handler."""

    def __init__(self, status, code, message, headers=None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or []
        self.extra = extra


def json_response(payload, status=200, headers=None):
    """A JSON answer nobody caches: bookings, tokens and free times are of the moment."""
    return request.make_json_response(payload, headers=NO_STORE + list(headers or []), status=status)


# below this, gzip's header and the CPU cost more than the bytes saved
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6


def accepts_gzip(httprequest):
    """Whether the client's Accept-Encoding takes gzip (``gzip``, ``x-gzip`` or ``*``, with a quality above 0).

    werkzeug's parser never fails: a malformed header takes nothing, or gzip
    when it names it with an unreadable quality.
    """
    encodings = parse_accept_header(httprequest.headers.get("Accept-Encoding"))
    return encodings["gzip"] > 0 or encodings["x-gzip"] > 0


def compact_json_response(payload):
    """A JSON answer nobody caches, without blanks, gzip-compressed when the client takes it and it pays.

    For the long answers (slots): a month of free times is mostly
    repetition, which gzip folds to a few percent; ``Vary`` tells caches and
    proxies that the body depends on the request's Accept-Encoding.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Vary", "Accept-Encoding"), *NO_STORE]
    if len(body) >= GZIP_MIN_BYTES and accepts_gzip(request.httprequest):
        body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    return request.make_response(body, headers)


def iso_utc(value):
    """ISO 8601 with Z for a naive UTC datetime."""
    if value.tzinfo is None:
        return _iso_naive(value)
    return f"{value.isoformat(timespec='seconds')[:19]}Z"


@functools.lru_cache(maxsize=4096)
def _iso_naive(value):
    """value.strftime("%Y-%m-%dT%H:%M:%SZ") at a fraction of the cost.

    A 31-day slots answer formats some 6,000 datetimes, a thousand distinct
    (providers share start times, a slot's end is often another's start).
    The text depends on the value only, so the cache can never be stale;
    naive datetimes only: aware ones equal as instants print differently.
    """
    return f"{value.isoformat(timespec='seconds')}Z"


def api_endpoint(methods, idempotent=False):
    """Wrap a handler: method check, and every failure turned into a JSON error.

    Concurrency errors are re-raised untouched, so that Odoo retries the whole
    request in a new transaction as it does for any route. Expected refusals
    (4xx) happen before any write or inside the savepoint of the change they
    refuse, so rate-limit hits stay counted; anything unexpected rolls the
    whole transaction back before answering.

    :param idempotent: honour an ``Idempotency-Key`` header (writes): the
        request runs once per key, and a retry with the same key and body gets
        the first answer again (``booking.idempotency.key``).
    """

    def decorator(handler):
        def respond(self, *args, **kwargs):
            try:
                if request.httprequest.method not in methods:
                    raise ApiError(405, "method_not_allowed", request.env._(
                        "Use %(methods)s here.", methods=", ".join(methods)),
                        headers=[("Allow", ", ".join(methods))])
                return handler(self, *args, **kwargs)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # every failure becomes a JSON answer
                return self._api_error_response(error)

        @functools.wraps(handler)
        def wrapper(self, *args, **kwargs):
            key = request.httprequest.headers.get("Idempotency-Key")
            if not idempotent or key is None:
                return respond(self, *args, **kwargs)
            try:
                return self._api_respond_once(key, lambda: respond(self, *args, **kwargs))
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # a refused key, a bad one: JSON too
                return self._api_error_response(error)

        return wrapper

    return decorator


class BookingApiBase(http.Controller):
    """What every JSON API of the addon shares (answers, errors, bodies, payloads).

    The public API and the merchant API both derive from it, so Odoo builds
    them into one controller: an addon that overrides a helper here (or in
    either API's class) changes both APIs alike.
    """

    # === ANSWERS === #

    def _api_error_response(self, error):
        """The JSON answer for an exception: its 4xx for expected refusals, else a logged 500."""
        env = request.env
        if isinstance(error, ApiError):
            failure = error
        elif isinstance(error, ContractMismatchError):
            failure = ApiError(400, "contract_mismatch", env._(
                "This request does not match the API contract (version %(version)s): the client is out of date "
                "or was built for another version. Regenerate it from openapi.json.", version=schemas.API_VERSION),
                fields=validator.translate_errors(error.fields, env._), contract_version=schemas.API_VERSION)
        elif isinstance(error, BookingInputError):
            failure = ApiError(400, "validation", env._("Some fields are invalid."),
                               fields=validator.translate_errors(error.fields, env._))
        elif isinstance(error, SlotUnavailableError):
            failure = ApiError(409, "slot_unavailable", error.args[0],
                               alternatives=[self._api_slot_payload(slot) for slot in error.alternatives])
        elif isinstance(error, LoginRequiredError):
            failure = ApiError(403, "login_required", error.args[0])
        elif isinstance(error, IdempotencyKeyReused):
            failure = ApiError(422, "idempotency_key_reused", error.args[0])
        elif isinstance(error, BookingActionRefused):
            failure = ApiError(409, error.code, error.args[0])
        elif isinstance(error, AccessError | MissingError | NotFound):
            # before UserError, of which Odoo makes them subclasses: what the caller may not see does not exist
            failure = ApiError(404, "not_found", env._("Not found."))
        elif isinstance(error, ValidationError | UserError):
            failure = ApiError(400, "validation", error.args[0], fields={})
        elif isinstance(error, HTTPException) and error.code and 400 <= error.code < 500:
            # e.g. a body shorter than its Content-Length (the client went away)
            failure = ApiError(error.code, "bad_request", env._("The request could not be read."))
        else:
            _logger.error("Booking API: unexpected error on %s", request.httprequest.path, exc_info=error)
            request.env.cr.rollback()
            failure = ApiError(500, "internal_error", env._("Something went wrong on our side."))
        if 400 <= failure.status < 500 and failure.status != 429:
            # refused before anything was written: the request does not count against the write limit
            environ = request.httprequest.environ
            env["booking.rate.limit"].sudo()._give_back(environ.pop("self_serve_booking.rate_limit_hit", None))
        return json_response(
            {"error": failure.code, "message": failure.message, **failure.extra},
            status=failure.status,
            headers=failure.headers,
        )


    def _api_respond_once(self, key, respond):
        """Answer a write sent with an ``Idempotency-Key``: run it once, or replay its first answer.

        The key is scoped to the route (the path names the page) and the caller
        (signed-in user, bearer token or anonymous), and bound to the body: the
        same key with another body is a 422.
        """
        env = request.env
        if not validator.IDEMPOTENCY_KEY_RE.fullmatch(key):
            raise BookingInputError({"Idempotency-Key": env._("must be 16 to 255 printable ASCII characters, "
                                                              "e.g. a UUID")})
        user = env.user
        authorization = request.httprequest.headers.get("Authorization")
        # anonymous keys are the client address's: nobody replays another visitor's answer (its manage link)
        caller = (f"user:{user.id}" if not user._is_public()
                  else f"token:{hashlib.sha256(authorization.encode()).hexdigest()}" if authorization
                  else f"public:{request.httprequest.remote_addr}")

        def run():
            response = respond()
            return response, response.status_code, response.get_data(as_text=True), response.headers.get("Location")

        response, earlier = env["booking.idempotency.key"].sudo()._call_once(
            f"{request.httprequest.path} {caller}", key, request.httprequest.get_data(cache=True), run)
        if earlier is None:
            return response
        headers = [("Idempotent-Replayed", "true")]
        if earlier.location:
            headers.append(("Location", earlier.location))
        return request.make_response(earlier.response, headers=[
            ("Content-Type", "application/json; charset=utf-8"), *NO_STORE, *headers], status=earlier.status)

    # === REQUESTS === #

    def _page_or_404(self, slug):
        """The page customers book on; unpublished, only for the managers of its company (the preview).

        A Booking manager signed in may try an unpublished page of their
        company as a customer would, as on the page itself (``/p/<slug>``):
        what they book is real, marked as a test (see
        ``booking.appointment._book_online``). To anyone else, and to the
        managers of other companies, the page does not exist.
        """
        preview = request.env.user.has_group("self_serve_booking.group_booking_manager")
        page = request.env["booking.page"]._get_served_page(
            slug, request.env["website"].get_current_website(), preview=preview)
        if not page:
            raise ApiError(404, "not_found", request.env._("No booking page at this address."))
        return page

    def _read_json_body(self):
        """The request body as a dict, or the right 4xx.

        Read with ``get_data(cache=True)``: when Odoo retries a request after a
        serialization failure, the handler runs again on the same request and
        must find the same body.
        """
        httprequest = request.httprequest
        env = request.env
        if httprequest.mimetype != "application/json":
            raise ApiError(415, "unsupported_media_type", env._("Send the body as application/json."))
        if httprequest.content_length is None:
            raise ApiError(411, "length_required", env._("Send a Content-Length header."))
        if httprequest.content_length > schemas.MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", env._("The body is larger than 16 KB."))
        try:
            return validator.loads(httprequest.get_data(cache=True))
        except ValueError:  # UnicodeDecodeError included
            raise ApiError(400, "malformed_json", env._(
                "The body is not valid JSON (UTF-8, finite numbers, nested at most %(depth)s levels).",
                depth=schemas.MAX_DEPTH)) from None

    def _validated_body(self, schema_name):
        body = self._read_json_body()
        errors = validator.validate(body, schemas.ref(schema_name))
        self._raise_input_errors(errors)
        return body

    def _raise_input_errors(self, errors):
        """A contract mismatch when the request's shape is at fault, else a validation error (both 400)."""
        mismatch, _other = validator.split_mismatch(errors)
        if mismatch:
            raise ContractMismatchError(mismatch)
        if errors:
            raise BookingInputError(errors)

    def _parsed_query(self, route, query):
        """The query string of ``route``, parsed and checked (400 naming the parameters at fault)."""
        values, errors = validator.parse_query(route, query)
        self._raise_input_errors(errors)
        return values

    def _rate_limit(self, page):
        """Count this write against the client; 429 beyond the page's limit.

        Two counters per client (the signed-in user, else the address):
        requests that write (bookings, waitlist entries), within the page's
        limit, and every attempt, within ``ATTEMPTS_FACTOR`` times it. A
        request refused for its input or because the time was taken gives
        its write back (``error_response``), so an honest customer correcting
        a form never runs into the limit, while a script sending bad requests
        still does. Counted once per request, even when Odoo retries it after
        a serialization failure (the marker lives on the request's environ).
        """
        environ = request.httprequest.environ
        if environ.get("self_serve_booking.rate_limit_counted"):
            return
        user = request.env.user
        client = f"user:{user.id}" if not user._is_public() else (request.httprequest.remote_addr or "unknown")
        environ["self_serve_booking.rate_limit_counted"] = True
        allowed, retry_after, hit_id = request.env["booking.rate.limit"].sudo()._take_page_write(page, client)
        environ["self_serve_booking.rate_limit_hit"] = hit_id
        if not allowed:
            raise ApiError(
                429, "rate_limited",
                request.env._("Too many requests from your address. Try again in %(minutes)s minute(s).",
                              minutes=max(1, round(retry_after / 60))),
                headers=[("Retry-After", str(retry_after))],
                retry_after=retry_after,
            )

    def _customer_request(self, slug, schema):
        """What booking and joining the waitlist start with, in this order.

        The page (or 404), the visitor's rate limit (429), the body against
        ``schema`` (400), the service and provider, and who the customer is:
        the signed-in one, or the guest of the body.

        :return: ``(page, body, service, provider, partner or None, source)``
        """
        page = self._page_or_404(slug)
        self._rate_limit(page)
        body = self._validated_body(schema)
        service, provider = page._get_bookable_service_provider(body["service_id"], body.get("provider_id"))
        partner = self._proven_partner(page)
        if not partner and not body.get("customer"):
            raise BookingInputError({"customer": request.env._("is required")})
        source = "website" if request.httprequest.headers.get("X-Booking-Widget") else "api"
        return page, body, service, provider, partner, source

    def _proven_partner(self, page):
        """The customer the caller proved to be, or None for an anonymous visitor.

        Proof is an Odoo session (signed in) or a bearer token from a one-time
        code (``/session/verify``) of this page's merchant; a token that does
        not hold is a 401, never a fall back to the details in the body.
        """
        if request.httprequest.headers.get("Authorization"):
            session = self._session()
            if session.company_id != page.company_id:
                raise ApiError(401, "unauthorized", request.env._("This token was issued by another merchant."),
                               headers=[("WWW-Authenticate", 'Bearer realm="booking"')])
            return session.partner_id
        user = request.env.user
        return user.partner_id if not user._is_public() else None

    # === PAYLOADS === #

    def _api_page_payload(self, page):
        services = page._get_bookable_services()
        providers = page._get_bookable_providers() if page.show_providers else request.env["booking.provider"]
        policy = page.cancellation_policy_id
        partner = page.partner_id
        return {
            "page": {
                "id": page.id,
                "slug": page.slug,
                "name": page.name,
                "url": page.website_url,
                "timezone": page.tz,
                "currency": page.currency_id.name,
                "description": html2plaintext(page.description or "").strip() or None,
                "address": page._get_address_text() or None,
                "phone": partner.phone or None,
                "email": partner.email or None,
                "allow_guest_booking": page.allow_guest_booking,
                "show_providers": page.show_providers,
                "min_notice_hours": page.min_notice_hours,
                "max_advance_days": page.max_advance_days,
                "last_bookable_date": page._last_bookable_date().isoformat(),
                "cancellation_policy": "; ".join(policy._get_tier_summary()) if policy else None,
            },
            "services": [self._api_service_payload(page, service) for service in services],
            "providers": [
                {
                    "id": provider.id,
                    "name": provider.name,
                    "job_title": provider.job_title or None,
                    "bio": html2plaintext(provider.bio or "").strip() or None,
                    "image_url": f"/p/{page.slug}/image/provider/{provider.id}",
                    "service_ids": (provider.service_ids & services).ids,
                }
                for provider in providers
            ],
        }

    def _api_service_payload(self, page, service):
        return {
            "id": service.id,
            "name": service.name,
            "description": service.description or None,
            "duration_minutes": service.duration_minutes,
            "price": service.price,
            "currency": service.currency_id.name,
            "deposit": {
                "type": service.deposit_type,
                "value": service.deposit_value,
                "amount": service._get_deposit_amount(),
            },
            "requires_approval": bool(service.requires_approval and not page.auto_confirm),
            "location": service.location,
            "provider_ids": page._get_bookable_providers(service).ids if page.show_providers else [],
            "for_dependant": service.for_dependant,
            "dependant_kinds": service._dependant_kinds() if service.for_dependant else [],
            "max_dependants": service._max_dependants(),
        }

    def _api_slot_payload(self, slot):
        return {"start": iso_utc(slot.start), "end": iso_utc(slot.stop), "provider_id": slot.provider_id}

    def _api_slot_days_payload(self, tz, days, provider, duration_minutes):
        """Free times by local day (``booking.availability._get_start_days``), the answer of ``format=days``."""
        return {
            "format": "days",
            "timezone": tz,
            "provider_id": provider.id or None,
            "duration_minutes": duration_minutes,
            "days": [{"date": day.isoformat(), "midnight": iso_utc(midnight), "starts": minutes}
                     for day, midnight, minutes in days],
        }

    def _api_booking_payload(self, appointment):
        """A new booking: where the customer manages it, sees it (and pays the deposit), gets the .ics."""
        appointment = appointment.sudo()
        confirmation_url = appointment._get_confirmation_url()
        return {
            "id": appointment.id,
            "reference": appointment.name,
            "state": appointment.state,
            "start": iso_utc(appointment.start),
            "end": iso_utc(appointment.stop),
            "service_id": appointment.service_id.id,
            "provider_id": appointment.provider_id.id,
            "dependant_ids": appointment.dependant_ids.ids,
            "manage_url": appointment.get_portal_url(),
            "confirmation_url": confirmation_url,
            "ics_url": appointment._get_confirmation_url("/ics"),
            # the confirmation page carries the deposit's payment form while one is due
            "payment_url": confirmation_url if appointment.state == "pending_payment" else None,
        }

    def _api_booking_summary(self, appointment):
        """One booking as the customer sees it, with what they may do (the portal's very rules)."""
        appointment = appointment.sudo()
        contract = appointment.contract_id
        cancel = appointment._get_cancel_preview()
        move = appointment._get_change_check("reschedule")
        return {
            "id": appointment.id,
            "reference": appointment.name,
            "state": appointment.state,
            "page": appointment.page_id.slug,
            "service": {"id": appointment.service_id.id, "name": appointment.service_id.name},
            "provider": {"id": appointment.provider_id.id, "name": appointment.provider_id.name},
            "start": iso_utc(appointment.start),
            "end": iso_utc(appointment.stop),
            "timezone": appointment.page_id.tz,
            "address": appointment.page_id._get_address_text() or None,
            "price": appointment.price,
            "currency": cancel["currency"].name,
            "paid": cancel["paid"],
            "refunded": contract.amount_refunded if contract else 0.0,
            "balance_due": contract.amount_balance_due if contract else 0.0,
            "cancel": {
                "allowed": cancel["allowed"],
                "reason": cancel["reason"],
                "deadline": iso_utc(cancel["deadline"]),
                "refund_amount": cancel["refund_amount"] if cancel["allowed"] else 0.0,
                "refund_percent": cancel["refund_percent"],
            },
            "reschedule": {"allowed": move["allowed"], "reason": move["reason"], "deadline": iso_utc(move["deadline"])},
            "manage_url": appointment.get_portal_url(),
        }


class BookingApiController(BookingApiBase):
    """The routes of the public API; every helper is a method other addons may override."""

    # === ROUTES === #

    @http.route(f"{API}/openapi.json", type="http", auth="public", csrf=False, cors="*", readonly=True,
                save_session=False)
    @api_endpoint(("GET",))
    def openapi(self):
        # the site's own address, never the request's Host or X-Forwarded-Host (anyone can forge them)
        base_url = request.env["website"].sudo().get_current_website().get_base_url()
        return json_response(openapi.build_document(base_url.rstrip("/")))

    @http.route(f"{API}/pages/<string:slug>", type="http", auth="public", csrf=False, cors="*", readonly=True,
                save_session=False)
    @api_endpoint(("GET",))
    def page(self, slug):
        return json_response(self._api_page_payload(self._page_or_404(slug)))

    @http.route(f"{API}/pages/<string:slug>/slots", type="http", auth="public", csrf=False, cors="*",
                readonly=True, save_session=False)
    @api_endpoint(("GET",))
    def slots(self, slug, **query):
        page = self._page_or_404(slug)
        values = self._parsed_query("slots", query)
        service, provider = page._get_bookable_service_provider(values["service_id"], values.get("provider_id"))
        duration = service._duration_for(values.get("dependant_count", 1))
        if values.get("format") == "days":
            days, open_dates = page._get_open_start_days(service, provider, values["date_from"],
                                                         values.get("date_to"), duration_minutes=duration)
            payload = self._api_slot_days_payload(page.tz, days, provider, duration)
        else:
            slots, open_dates = page._get_open_slots(service, provider, values["date_from"], values.get("date_to"),
                                                     duration_minutes=duration)
            payload = {"format": "slots", "timezone": page.tz,
                       "slots": [self._api_slot_payload(slot) for slot in slots]}
        payload["open_dates"] = sorted(day.isoformat() for day in open_dates)
        return compact_json_response(payload)

    @http.route(f"{API}/pages/<string:slug>/bookings", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",), idempotent=True)
    def create_booking(self, slug):
        page, body, service, provider, partner, source = self._customer_request(slug, "BookingRequest")
        appointment = request.env["booking.appointment"]._book_online(
            page, service, provider, _to_naive_utc(body["start"]), customer=body.get("customer"),
            note=body.get("note"), source=source, partner=partner, address=body.get("address"),
            dependant_ids=body.get("dependant_ids"), answer_first=True)
        payload = self._api_booking_payload(appointment)
        return json_response({"booking": payload}, status=201, headers=[("Location", payload["confirmation_url"])])

    @http.route(f"{API}/pages/<string:slug>/waitlist", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",), idempotent=True)
    def join_waitlist(self, slug):
        page, body, service, provider, partner, source = self._customer_request(slug, "WaitlistRequest")
        time_from = validator.parse_time(body["time_from"]) if body.get("time_from") else None
        time_to = validator.parse_time(body["time_to"]) if body.get("time_to") else None
        entry = request.env["booking.waitlist"]._join(
            page, service, provider, validator.parse_date(body["date"]), time_from=time_from, time_to=time_to,
            customer=body.get("customer"), note=body.get("note"), source=source, partner=partner,
            address=body.get("address"),
        )
        return json_response({"waitlist": {"id": entry.id, "reference": entry.name, "state": entry.state}},
                             status=201)

    # === CUSTOMER SESSIONS === #

    def _limit(self, key, count, minutes):
        allowed, retry_after = request.env["booking.rate.limit"].sudo()._hit(key, count, minutes)
        if not allowed:
            raise ApiError(429, "rate_limited",
                           request.env._("Too many attempts. Try again in %(minutes)s minute(s).",
                                         minutes=max(1, round(retry_after / 60))),
                           headers=[("Retry-After", str(retry_after))], retry_after=retry_after)

    def _identity(self, page, body):
        """The e-mail and/or the E.164 phone a customer signs in with, and a key for limits; or a 400."""
        email, phone = (body.get("email") or "").strip(), (body.get("phone") or "").strip()
        values = {}
        if email:
            values["email"] = email
        if phone:
            phone_e164 = request.env["res.partner"]._booking_phone_e164(phone, page._get_country())
            if not phone_e164:
                raise BookingInputError({"phone": request.env._("is not a valid phone number")})
            values["phone"] = phone_e164
        if not values:
            raise BookingInputError({"email": request.env._("an e-mail or a phone number is required")})
        return values, values.get("email", "").lower() or values["phone"]

    def _session(self):
        """The customer session of the bearer token, or a 401."""
        scheme, _sep, token = request.httprequest.headers.get("Authorization", "").partition(" ")
        session = request.env["booking.customer.session"]
        if scheme.lower() == "bearer":
            session = session._authenticate(token.strip())
        if not session:
            raise ApiError(401, "unauthorized",
                           request.env._("Sign in again: the token is missing, invalid or expired."),
                           headers=[("WWW-Authenticate", 'Bearer realm="booking"')])
        return session

    def _my_booking(self, session, booking_id):
        """One of the session customer's bookings with this merchant; anything else is 404."""
        appointment = request.env["booking.appointment"].sudo().browse(booking_id).exists()
        if not appointment or appointment.partner_id != session.partner_id \
                or appointment.company_id != session.company_id:
            raise ApiError(404, "not_found", request.env._("No such booking."))
        return appointment._ensure_complete()

    @http.route(f"{API}/pages/<string:slug>/session", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",))
    def request_code(self, slug):
        page = self._page_or_404(slug)
        self._rate_limit(page)
        body = self._validated_body("SessionRequest")
        values, identity = self._identity(page, body)
        # per address and client (nobody locks a customer out from elsewhere), and per address
        # within an hour (nobody floods a customer's inbox), for the merchant as a whole
        company = page.company_id.id
        network = request.env["booking.rate.limit"].sudo()._client_network(request.httprequest.remote_addr)
        self._limit(f"code:{company}:{identity}:{network}", 3, 10)
        self._limit(f"code:{company}:{identity}", 10, 60)
        request.env["booking.customer.session"].sudo()._request_code(page, **values)
        return json_response({"status": "code_sent", "expires_in": 600}, status=202)

    @http.route(f"{API}/pages/<string:slug>/session/verify", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",))
    def verify_code(self, slug):
        page = self._page_or_404(slug)
        body = self._validated_body("SessionVerifyRequest")
        values, identity = self._identity(page, body)
        company = page.company_id.id  # a token holds for the merchant: so do the limits
        self._limit(f"verify:{company}:{identity}", 5, 10)
        network = request.env["booking.rate.limit"].sudo()._client_network(request.httprequest.remote_addr)
        self._limit(f"verify-ip:{company}:{network}", 20, 10)
        session = request.env["booking.customer.session"].sudo()._verify_code(page, body["code"], **values)
        if not session:
            raise ApiError(400, "invalid_code", request.env._("This code is wrong or has expired."))
        partner = session.partner_id
        return json_response({"token": session._make_token(), "token_type": "Bearer",
                              "expires_at": iso_utc(session.expires_at),
                              "customer": {"name": partner.name, "email": partner.email or None,
                                           "phone": partner.phone or None}})

    @http.route(f"{API}/me/session", type="http", auth="public", csrf=False, cors="*", save_session=False)
    @api_endpoint(("DELETE",))
    def sign_out(self):
        self._session().action_revoke()
        return request.make_response("", status=204, headers=[("Cache-Control", "no-store")])

    @http.route(f"{API}/me/live", type="http", auth="public", csrf=False, cors="*", save_session=False)
    @api_endpoint(("GET",))
    def my_live_channel(self):
        """Where and how to follow the customer's bookings live: Odoo's websocket and this token's channel."""
        session = self._session()
        # the page's public address (its website's, else web.base.url): right behind a TLS proxy too
        host_url = session.page_id.sudo().get_base_url().rstrip("/")
        websocket_url = ("wss://" if host_url.startswith("https://") else "ws://") + host_url.split("://", 1)[1]
        return json_response({
            "channel": session._live_channel(),
            "websocket_url": f"{websocket_url}/websocket?version={WebsocketConnectionHandler._VERSION}",
            "expires_at": iso_utc(session.expires_at),
        })

    @http.route(f"{API}/me/bookings", type="http", auth="public", csrf=False, cors="*", save_session=False)
    @api_endpoint(("GET",))
    def my_bookings(self, **query):
        session = self._session()
        values = self._parsed_query("my_bookings", query)
        Appointment = request.env["booking.appointment"].sudo()
        domain = Appointment._customer_domain(session.partner_id, session.company_id, values.get("filter"))
        appointments = Appointment.search(domain, order="start desc", limit=200)._ensure_complete()
        return json_response({"bookings": [self._api_booking_summary(a) for a in appointments]})

    @http.route(f"{API}/me/bookings/<{ID}:booking_id>", type="http", auth="public", csrf=False,
                cors="*", save_session=False)
    @api_endpoint(("GET", "PATCH"))
    def my_booking(self, booking_id):
        session = self._session()
        appointment = self._my_booking(session, booking_id)
        if request.httprequest.method == "PATCH":
            body = self._validated_body("BookingChange")
            if body["action"] == "cancel":
                appointment._customer_cancel(reason=body.get("reason"))
            else:
                if not body.get("start"):
                    raise BookingInputError({"start": request.env._("is required")})
                appointment._reschedule(_to_naive_utc(body["start"]), "customer",
                                        any_provider=bool(body.get("any_provider")))
        return json_response({"booking": self._api_booking_summary(appointment)})

    @http.route(f"{API}/me/notification-preferences", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("GET", "PATCH"))
    def my_notification_preferences(self):
        """The session's customer's own preferences: a one-time code to their detail on file proved who they are."""
        partner = self._session().partner_id.sudo()
        if request.httprequest.method == "PATCH":
            body = self._validated_body("NotificationPreferencesChange")
            try:
                partner._booking_set_notification_preferences(channel=body.get("channel"),
                                                              marketing=body.get("marketing"))
            except UserError as error:
                raise BookingInputError({"channel": str(error.args[0])}) from None
        return json_response({"preferences": partner._booking_notification_preferences()})

    @http.route(f"{API}/me/bookings/<{ID}:booking_id>/slots", type="http", auth="public", csrf=False,
                cors="*", save_session=False)
    @api_endpoint(("GET",))
    def my_booking_slots(self, booking_id, **query):
        session = self._session()
        appointment = self._my_booking(session, booking_id)
        values = self._parsed_query("my_slots", query)
        date_to = values.get("date_to") or values["date_from"]
        if date_to < values["date_from"] or (date_to - values["date_from"]).days >= MAX_SLOT_RANGE_DAYS:
            raise BookingInputError({"date_to": request.env._("must be within %(days)s days after date_from",
                                                              days=MAX_SLOT_RANGE_DAYS)})
        any_provider = query.get("any_provider") in ("1", "true")
        if values.get("format") == "days":
            days = appointment._get_reschedule_start_days(values["date_from"], date_to, any_provider=any_provider)
            provider = request.env["booking.provider"] if any_provider else appointment.sudo().provider_id
            return compact_json_response(self._api_slot_days_payload(
                appointment.page_id.tz, days, provider, appointment.sudo().duration_minutes))
        slots = appointment._get_reschedule_slots(values["date_from"], date_to, any_provider=any_provider)
        return compact_json_response({"format": "slots", "timezone": appointment.page_id.tz,
                                      "slots": [self._api_slot_payload(slot) for slot in slots]})

    # === REVIEWS === #

    @http.route(f"{API}/pages/<string:slug>/reviews", type="http", auth="public", csrf=False, cors="*",
                readonly=True, save_session=False)
    @api_endpoint(("GET",))
    def reviews(self, slug, **query):
        """Published reviews of the page's bookings: summaries and the latest (never a hidden one)."""
        page = self._page_or_404(slug)
        values = self._parsed_query("reviews", query)
        service = page._get_bookable_service(values["service_id"]) if values.get("service_id") else None
        provider = None
        if values.get("provider_id"):
            provider = page._get_bookable_providers(service).filtered(lambda p: p.id == values["provider_id"])
            if not provider or not page.show_providers:
                raise BookingInputError({"provider_id": request.env._("is not a provider shown on this page")})
        if not page.reviews_show:
            return json_response({"summary": {"average": None, "count": 0}, "services": {}, "providers": {},
                                  "reviews": []})
        stats = page._get_review_stats()

        def summary(pair):
            return {"average": pair[0] if pair[1] else None, "count": pair[1]}

        reviews = page._get_recent_reviews(service, provider, limit=values.get("limit") or 10)
        return json_response({
            "summary": summary(stats["page"]),
            "services": {str(key): summary(pair) for key, pair in stats["services"].items()},
            "providers": {str(key): summary(pair) for key, pair in stats["providers"].items()}
            if page.show_providers else {},
            "reviews": [review._booking_public_payload() for review in reviews],
        })

    # === SERIES === #

    def _series_args(self, page, body):
        """The series the body asks for, parsed: the arguments of ``booking.series._plan_series``.

        Service and provider as the page offers them; what may be a series,
        the rhythm, the length and the replacements are the series' rules.
        """
        service, provider = page._get_bookable_service_provider(body["service_id"], body.get("provider_id"))
        replacements = {}
        for item in body.get("replacements") or []:
            if item["index"] in replacements:
                raise BookingInputError({"replacements": request.env._("names an occurrence twice")})
            replacements[item["index"]] = _to_naive_utc(item["start"])
        return {
            "page": page, "service": service, "provider": provider, "first_start": _to_naive_utc(body["start"]),
            "interval_weeks": body["interval_weeks"], "count": body.get("count"),
            "until": validator.parse_date(body["until"]) if body.get("until") else None,
            "replacements": replacements,
        }

    def _api_series_payment_payload(self, series):
        """The series' deposits due now, paid in one payment at ``url``; None when nothing is due."""
        due = series._get_deposit_due()
        if not due["appointments"]:
            return None
        return {
            "amount": due["amount"],
            "currency": due["currency"].name,
            "due_by": iso_utc(due["deadline"]),
            "booking_ids": due["appointments"].ids,
            "url": series._get_payment_url(),
        }

    def _api_occurrence_payload(self, service, entry):
        return {
            "index": entry["index"],
            "start": iso_utc(entry["start"]),
            "end": iso_utc(entry["start"] + timedelta(minutes=service.duration_minutes)),
            "available": entry["available"],
            "provider_id": entry["provider"].id or None,
            "reason": entry["reason"] or "",
            "alternatives": [self._api_slot_payload(slot) for slot in entry["alternatives"]],
        }

    @http.route(f"{API}/pages/<string:slug>/series/plan", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",))
    def plan_series(self, slug):
        """Every occurrence of a series checked as a single booking would be; nothing is booked."""
        page = self._page_or_404(slug)
        self._rate_limit(page)  # up to 52 occurrences checked, with alternatives: counted like a booking
        body = self._validated_body("SeriesRequest")
        args = self._series_args(page, body)
        plan = request.env["booking.series"]._plan_series(**args, partner=self._proven_partner(page),
                                                          customer=body.get("customer"))
        return json_response({"occurrences": [self._api_occurrence_payload(args["service"], entry)
                                              for entry in plan]})

    @http.route(f"{API}/pages/<string:slug>/series", type="http", auth="public", csrf=False, cors="*",
                save_session=False)
    @api_endpoint(("POST",), idempotent=True)
    def create_series(self, slug):
        """Book every occurrence of a series, or none (409 ``series_unavailable`` with the plan).

        Occurrences with a deposit are held unpaid until ``payment.due_by``:
        ``payment.url`` pays them all in one payment (each booking's
        ``payment_url`` pays that one); unpaid, they are released and the
        customer is told.
        """
        page, body, _service, _provider, partner, source = self._customer_request(slug, "SeriesRequest")
        args = self._series_args(page, body)
        try:
            series = request.env["booking.series"]._book_series(
                **args, partner=partner, customer=body.get("customer") if not partner else None,
                note=body.get("note"), source=source)
        except SeriesUnavailableError as error:
            raise ApiError(409, "series_unavailable", error.args[0], occurrences=[
                self._api_occurrence_payload(args["service"], entry) for entry in error.occurrences]) from None
        bookings = series.appointment_ids.sorted("start")
        return json_response({"series": {"id": series.id,
                                         "bookings": [self._api_booking_payload(booking) for booking in bookings],
                                         "payment": self._api_series_payment_payload(series)}},
                             status=201)

    @http.route(f"{API}/me/bookings/<{ID}:booking_id>/cancel-following", type="http", auth="public", csrf=False,
                cors="*", save_session=False)
    @api_endpoint(("POST",))
    def cancel_series_following(self, booking_id):
        """The customer cancels a booking and the later ones of its series, each under the policy."""
        session = self._session()
        appointment = self._my_booking(session, booking_id)
        body = self._validated_body("SeriesCancelRequest")
        cancelled = appointment._customer_cancel_series(reason=body.get("reason"))
        return json_response({"cancelled": cancelled.ids})

    @http.route([API, f"{API}/<path:rest>"], type="http", auth="public", csrf=False, cors="*", readonly=True,
                save_session=False)
    @api_endpoint(("GET", "POST", "PATCH", "PUT", "DELETE"))
    def unknown(self, rest=None):
        raise ApiError(404, "not_found", request.env._("No such API route."))


def _to_naive_utc(value):
    """Naive UTC (Odoo's storage) from a validated ISO 8601 string with an offset."""
    return validator.parse_datetime(value).astimezone(UTC).replace(tzinfo=None)
