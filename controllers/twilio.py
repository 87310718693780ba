import logging
import re

from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from ..booking_api.validator import CONTROL_RE
from ..const import SLUG_MAX_LENGTH
from ..const import SLUG_RE

_logger = logging.getLogger(__name__)

MAX_PARAMS = 64  # Twilio sends about 20 fields; more is not Twilio
# Line breaks are text in a message's body; any other control character (NUL first) is no SMS
BODY_FIELDS = {"Body"}
LINE_BREAK_RE = re.compile(r"[\t\n\r]")


class BookingTwilioController(http.Controller):
    """Twilio's webhooks of a page: replies by SMS, and delivery reports of the SMS it sent.

    Whoever calls is a stranger until Twilio's signature (HMAC-SHA1 of the
    URL and the POST fields, with the page's auth token) proves the request
    comes from the page's own Twilio account: anything else is refused with
    403 before anything is read further or written.
    """

    def _check_twilio_request(self, slug):
        """The page whose Twilio account signed this request, or Forbidden."""
        if not isinstance(slug, str) or len(slug) > SLUG_MAX_LENGTH or not SLUG_RE.fullmatch(slug):
            raise Forbidden()
        page = request.env["booking.page"].sudo().search(
            [("slug", "=", slug), ("active", "=", True), ("sms_gateway", "=", "twilio")], limit=1)
        signature = request.httprequest.headers.get("X-Twilio-Signature", "")
        params = request.httprequest.form
        if not page or not page.twilio_auth_token or not signature or len(params) > MAX_PARAMS:
            raise Forbidden()
        from twilio.request_validator import RequestValidator  # noqa: PLC0415 - optional gateway

        # the URL Twilio called, as the proxy received it (Odoo's proxy mode rebuilds it)
        if not RequestValidator(page.twilio_auth_token).validate(request.httprequest.url, params.to_dict(), signature):
            _logger.info("Twilio webhook of %s: bad signature from %s", slug, request.httprequest.remote_addr)
            raise Forbidden()
        self._check_twilio_text(params)
        return page

    def _check_twilio_text(self, params):
        """A 400 for a field holding a control character, before anything is stored.

        A signature proves who sent the request, not that its text can be
        stored: PostgreSQL refuses NUL, and no phone number, message id or
        status holds a control character. A message's body may hold line
        breaks and tabs, nothing else of the kind. Twilio does not retry a
        4xx; it shows it in the account's error log.
        """
        for key, values in params.lists():
            texts = [(key, False)] + [(value, key in BODY_FIELDS) for value in values]
            if any(CONTROL_RE.search(text) or (not breaks and LINE_BREAK_RE.search(text)) for text, breaks in texts):
                _logger.info("Twilio webhook: control character in %r refused", key[:40])
                raise BadRequest("control characters")

    @http.route("/booking/twilio/<string:slug>/sms", type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def twilio_sms(self, slug, **kwargs):
        """A message for the page: acted on, answered in TwiML (Twilio sends the answer back as an SMS)."""
        page = self._check_twilio_request(slug)
        try:
            reply = request.env["booking.sms"].sudo()._receive(page, request.httprequest.form.to_dict())
        except (UserError, ValidationError) as error:
            request.env.cr.rollback()
            reply = error.args[0]
        from twilio.twiml.messaging_response import MessagingResponse  # noqa: PLC0415

        response = MessagingResponse()
        if reply:
            response.message(reply)
        return request.make_response(str(response), headers=[("Content-Type", "text/xml; charset=utf-8")])

    @http.route("/booking/twilio/<string:slug>/status", type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def twilio_status(self, slug, **kwargs):
        """A delivery report (sent, delivered, failed...) of an SMS the page sent."""
        page = self._check_twilio_request(slug)
        request.env["booking.sms"].sudo()._on_status(page, request.httprequest.form.to_dict())
        return request.make_response("", status=204)
