"""The merchant API, /booking/api/v1/merchant: staff integrations act on appointments with an Odoo API key.

Authentication is Odoo's own API keys (``res.users.apikeys``, made in the
user's preferences) sent as ``Authorization: Bearer <key>``; the request then
runs as that user, so the user's access rights and record rules (their
companies) apply, as in the backend. The key's user must be *Booking / User*.
Cookies are ignored: a browser session never acts here, so no cross-site
request can.

Integrations list appointments, read one and act on it with an allow-list of
actions (``schemas.MERCHANT_ACTIONS``), each through the backend's own model
method and its guards. Errors are the public API's: JSON with a stable
``error`` code, a 4xx for anything the caller can fix, nothing written.
"""

import re
from datetime import datetime, time, timedelta

from odoo import fields, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..booking_api import schemas
from ..booking_api import validator
from ..const import CANCELLABLE_STATES
from ..const import MOVABLE_STATES
from ..const import URL_ID as ID
from ..exceptions import BookingInputError
from ..exceptions import SlotUnavailableError
from .api import ApiError
from .api import BookingApiBase
from .api import _to_naive_utc
from .api import api_endpoint
from .api import iso_utc
from .api import json_response

API = f"{schemas.API_PREFIX}/merchant"
# Odoo's keys are 40 hex characters; anything far from that is refused before hashing
API_KEY_RE = re.compile(r"[\x21-\x7e]{16,128}")
API_KEY_SCOPE = "self_serve_booking"
DEFAULT_LIMIT = 50
UNAUTHORIZED_HEADERS = [("WWW-Authenticate", 'Bearer realm="booking-merchant"')]


class MerchantApiController(BookingApiBase):
    """The merchant routes; helpers (the public API's too, see ``BookingApiBase``) are methods other addons may
    override."""

    # === AUTHENTICATION === #

    def _merchant_authenticate(self):
        """Run the request as the API key's user, or answer 401 (no or bad key) / 403 (not booking staff)."""
        scheme, _sep, key = request.httprequest.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        uid = None
        if scheme.lower() == "bearer" and API_KEY_RE.fullmatch(key):
            uid = request.env["res.users.apikeys"].sudo()._check_credentials(scope=API_KEY_SCOPE, key=key)
        if not uid:
            raise ApiError(401, "unauthorized", request.env._(
                "Send an Odoo API key of a booking user: Authorization: Bearer <key>. This one is missing, "
                "invalid, expired or revoked."), headers=UNAUTHORIZED_HEADERS)
        request.update_env(user=uid)
        user = request.env.user
        if not user._is_internal() or not user.has_group("self_serve_booking.group_booking_user"):
            raise ApiError(403, "forbidden", request.env._(
                "This API key's user is not a booking user (Booking / User)."))
        return user

    # === REQUESTS === #

    def _merchant_appointment(self, appointment_id):
        """The appointment as the key's user sees it (record rules: their companies); else 404."""
        appointment = request.env["booking.appointment"].browse(appointment_id).exists()
        try:
            appointment.check_access("read")
        except AccessError:
            appointment = appointment.browse()
        if not appointment:
            raise ApiError(404, "not_found", request.env._("No such appointment."))
        return appointment

    def _merchant_body(self):
        """The optional JSON body of an action (an empty body is ``{}``), validated."""
        httprequest = request.httprequest
        if not httprequest.content_length:
            if httprequest.headers.get("Transfer-Encoding"):  # a body of unknown length is never read whole
                raise ApiError(411, "length_required", request.env._("Send the body with a Content-Length."))
            return {}
        body = self._read_json_body()
        self._raise_input_errors(validator.validate(body, schemas.ref("MerchantActionRequest")))
        return body

    def _merchant_domain(self, values):
        domain = []
        if values.get("state"):
            domain.append(("state", "=", values["state"]))
        if values.get("provider_id"):
            domain.append(("provider_id", "=", values["provider_id"]))
        if values.get("date"):
            # pages have time zones of their own: a day wide enough for any, then each page's local day
            day = values["date"]
            domain += [("start", ">=", datetime.combine(day - timedelta(days=1), time.min)),
                       ("start", "<", datetime.combine(day + timedelta(days=2), time.min))]
        return domain

    # === ACTIONS === #

    def _merchant_allowed_actions(self, appointment):
        """The allow-listed actions the appointment's state permits now."""
        state = appointment.state
        actions = []
        if state == "pending":
            actions += ["approve", "decline"]
        if state == "confirmed":
            actions += ["check_in", "no_show"]
        if state == "checked_in":
            actions.append("complete")
        if state in CANCELLABLE_STATES:
            actions.append("cancel")
        if state in MOVABLE_STATES:
            actions.append("move")
        return actions

    def _merchant_act(self, appointment, action, body):
        """Run one allow-listed action through the backend's method, as the key's user."""
        env = request.env
        reason = (body.get("reason") or "").strip() or None
        if action == "approve":
            appointment.action_approve()
        elif action == "decline":
            appointment.action_decline(reason=reason)
        elif action == "cancel":
            appointment.action_cancel(reason=reason)
        elif action == "check_in":
            appointment.action_check_in()
        elif action == "complete":
            charge_card = body.get("charge_card")
            appointment.action_complete(charge_card=True if charge_card is None else charge_card)
        elif action == "no_show":
            appointment.action_no_show()
        elif action == "move":
            if not body.get("start"):
                raise BookingInputError({"start": env._("is required")})
            vals = {"start": _to_naive_utc(body["start"])}
            if vals["start"] <= fields.Datetime.now():
                raise BookingInputError({"start": env._("is in the past")})
            if body.get("provider_id"):
                provider = env["booking.provider"].search([("id", "=", body["provider_id"])])  # record rules
                if not provider or appointment.service_id not in provider.service_ids:
                    raise BookingInputError({"provider_id": env._("is not a provider of this service")})
                vals["provider_id"] = provider.id
            appointment.write(vals)

    # === PAYLOADS === #

    def _merchant_appointment_payload(self, appointment):
        # the key's user may read the appointment (record rules, checked before); its customer, page,
        # service and provider are read for the payload as they are, whatever rules apply to contacts
        appointment = appointment.sudo()
        contract = appointment.contract_id
        partner = appointment.partner_id
        return {
            "id": appointment.id,
            "reference": appointment.name,
            "state": appointment.state,
            "start": iso_utc(appointment.start),
            "end": iso_utc(appointment.stop),
            "timezone": appointment.page_id.tz,
            "source": appointment.source,
            "page": {"id": appointment.page_id.id, "slug": appointment.page_id.slug,
                     "name": appointment.page_id.name},
            "service": {"id": appointment.service_id.id, "name": appointment.service_id.name},
            "provider": {"id": appointment.provider_id.id, "name": appointment.provider_id.name},
            "customer": {"id": partner.id, "name": partner.name, "email": partner.email or None,
                         "phone": partner.phone or None},
            "note": appointment.note or None,
            "cancel_reason": appointment.cancel_reason or None,
            "price": appointment.price,
            "currency": appointment.currency_id.name,
            "paid": contract.amount_paid if contract else 0.0,
            "balance_due": contract.amount_balance_due if contract else 0.0,
            "actions": self._merchant_allowed_actions(appointment),
        }

    # === ROUTES === #

    @http.route(f"{API}/appointments", type="http", auth="public", csrf=False, cors="*", readonly=True,
                save_session=False)
    @api_endpoint(("GET",))
    def merchant_appointments(self, **query):
        self._merchant_authenticate()
        values, errors = validator.parse_query("merchant_appointments", query)
        self._raise_input_errors(errors)
        Appointment = request.env["booking.appointment"]
        domain = self._merchant_domain(values)
        offset, limit = values.get("offset", 0), values.get("limit", DEFAULT_LIMIT)
        if values.get("date"):  # three days at most, then each page's local day
            appointments = Appointment.search(domain, order="start, id").filtered(
                lambda a: a._local_day() == values["date"])
            count, page = len(appointments), appointments[offset:offset + limit]
        else:
            count = Appointment.search_count(domain)
            page = Appointment.search(domain, order="start, id", offset=offset, limit=limit)
        return json_response({"appointments": [self._merchant_appointment_payload(a) for a in page],
                              "count": count})

    @http.route(f"{API}/appointments/<{ID}:appointment_id>", type="http", auth="public", csrf=False, cors="*",
                readonly=True, save_session=False)
    @api_endpoint(("GET",))
    def merchant_appointment(self, appointment_id):
        self._merchant_authenticate()
        appointment = self._merchant_appointment(appointment_id)
        return json_response({"appointment": self._merchant_appointment_payload(appointment)})

    @http.route(f"{API}/appointments/<{ID}:appointment_id>/<string:action>", type="http", auth="public",
                csrf=False, cors="*", save_session=False)
    @api_endpoint(("POST",))
    def merchant_action(self, appointment_id, action):
        env = request.env
        self._merchant_authenticate()
        if action not in schemas.MERCHANT_ACTIONS:
            raise ApiError(400, "action_not_allowed", env._(
                "%(action)s is not an action of this API. Allowed: %(allowed)s.",
                action=action[:64], allowed=", ".join(schemas.MERCHANT_ACTIONS)),
                allowed=schemas.MERCHANT_ACTIONS)
        appointment = self._merchant_appointment(appointment_id)
        body = self._merchant_body()
        try:
            appointment.check_access("write")
        except AccessError:
            raise ApiError(403, "forbidden", env._("You may not change this appointment.")) from None
        try:
            # a refusal half-way (a constraint after a write) leaves nothing behind
            with env.cr.savepoint():
                self._merchant_act(appointment, action, body)
        except (SlotUnavailableError, BookingInputError):
            raise
        except AccessError:
            raise ApiError(403, "forbidden", env._("You may not change this appointment.")) from None
        except ValidationError as error:
            raise ApiError(400, "validation", error.args[0], fields={}) from None
        except UserError as error:  # the backend's refusal: this state does not allow it
            raise ApiError(409, "invalid_state", error.args[0],
                           allowed=self._merchant_allowed_actions(appointment)) from None
        appointment.invalidate_recordset()
        return json_response({"appointment": self._merchant_appointment_payload(appointment)})
