import json
import re

from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError

from odoo import models
from odoo.http import request

from ..booking_api.schemas import API_PREFIX
from ..booking_api.schemas import MAX_ID
from ..booking_api.validator import CONTROL_RE

ADDON_MODULE = "odoo.addons.self_serve_booking."
LINE_BREAK_RE = re.compile(r"[\t\n\r]")
NO_STORE = [("Cache-Control", "no-store")]


class RecordIdConverter(BaseConverter):
    """A record id in a URL: ASCII digits, at most PostgreSQL's integer.

    Werkzeug's ``int`` converter reads every script's digits (``/١٨`` is 18)
    and any size; beyond the integer type the id would reach the database
    as an error. Anything else matches no route: a 404 (JSON on the API
    and JSON routes: 0, which no record has).
    """

    regex = r"[0-9]{1,10}"

    def to_python(self, value):
        if not re.fullmatch(self.regex, value):
            raise ValidationError()
        if int(value) > MAX_ID:
            # Werkzeug stops matching at a converter's refusal (Odoo's HTML 404): a JSON route answers
            # JSON for any id, so it gets an id no record has, and its own "not found"
            if request and (request.httprequest.path.startswith(API_PREFIX)
                            or request.httprequest.mimetype == "application/json"):
                return 0
            raise ValidationError()
        return int(value)

    def to_url(self, value):
        return str(int(value))


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_converters(cls):
        return dict(super()._get_converters(), booking_id=RecordIdConverter)

    @classmethod
    def _pre_dispatch(cls, rule, args):
        result = super()._pre_dispatch(rule, args)
        if rule.endpoint.func.__module__.startswith(ADDON_MODULE):
            routing = rule.endpoint.routing
            # the addon's own forms (CSRF-protected) check their fields and answer with the form again
            own_form = routing.get("type") == "http" and routing.get("csrf", True)
            cls._booking_refuse_control_characters(form_fields=not own_form)
        return result

    @classmethod
    def _booking_refuse_control_characters(cls, form_fields=True):
        """A 4xx for any control character in what a request to the addon's routes carries, signed or not.

        In its path a 404 (no slug, id or token holds one); in its query
        (names and values), its form (names and values, unless
        ``form_fields`` is false: the addon's own CSRF-protected forms check
        each field and answer with the form and its errors; a text area's
        line breaks and tabs are text) and the
        parameters of a JSON-RPC call: PostgreSQL refuses NUL, and no id,
        token, amount or name holds the others. Checked before any handler
        reads them, so none of them reaches a query, a log or a 500: a 400. The API
        answers JSON, as for any of its errors (its bodies go through its
        contract, which refuses them too).
        """
        httprequest = request.httprequest
        api = httprequest.path.startswith(API_PREFIX)
        if CONTROL_RE.search(httprequest.path) or LINE_BREAK_RE.search(httprequest.path):
            # no slug, id or token holds one: there is no such page
            if api:
                raise NotFound(response=request.make_json_response({
                    "error": "not_found", "message": request.env._("Not found.")}, status=404, headers=NO_STORE))
            raise NotFound()
        found = False
        for key, values in httprequest.args.lists():
            found = found or CONTROL_RE.search(key) or LINE_BREAK_RE.search(key) or any(
                CONTROL_RE.search(value) or LINE_BREAK_RE.search(value) for value in values)
        for key, values in httprequest.form.lists() if form_fields else ():
            found = found or CONTROL_RE.search(key) or LINE_BREAK_RE.search(key) or any(
                CONTROL_RE.search(value) for value in values)
        if not found and httprequest.mimetype == "application/json" and not api:
            try:
                body = json.loads(httprequest.get_data(cache=True, as_text=True) or "null")
            except ValueError:
                body = None
            found = cls._booking_json_has_control(body)
        if not found:
            return
        message = request.env._("This request holds control characters, which are not accepted.")
        if api:
            raise BadRequest(response=request.make_json_response(
                {"error": "validation", "message": message, "fields": {}}, status=400, headers=NO_STORE))
        raise BadRequest(message)

    @classmethod
    def _booking_json_has_control(cls, value, depth=0):
        if isinstance(value, str):
            return bool(CONTROL_RE.search(value))
        if depth > 16:
            return False
        if isinstance(value, dict):
            return any(cls._booking_json_has_control(key, depth + 1) or cls._booking_json_has_control(item, depth + 1)
                       for key, item in value.items())
        if isinstance(value, list):
            return any(cls._booking_json_has_control(item, depth + 1) for item in value)
        return False

    @classmethod
    def _serve_fallback(cls):
        """No stored page or attachment is served at a path holding NUL.

        The website's 404 handling looks the path up in the database, which
        refuses NUL in text: ``/p/x%00y`` (or any unknown path with %00)
        would answer 500 instead of 404.
        """
        if "\x00" in request.httprequest.path:
            return None
        return super()._serve_fallback()
