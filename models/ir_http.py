import json
import re

from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError

from odoo import models
from odoo.http import request

from ..booking_api.schemas import API_PREFIX
from ..booking_api.schemas import MAX_ID
from ..booking_api.validator import CONTROL_RE

ADDON_MODULE = "odoo.addons.self_serve_booking."
LINE_BREAK_RE = re.compile(r"[\t\n\r]")


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
        super()._pre_dispatch(rule, args)
        if rule.endpoint.func.__module__.startswith(ADDON_MODULE):
            cls._booking_refuse_control_characters()

    @classmethod
    def _booking_refuse_control_characters(cls):
        """A 400 for any control character in what a request to the addon's routes carries, signed or not.

        Its path, its query (names and values), its form (names, and values,
        where a text area's line breaks and tabs are text) and the
        parameters of a JSON-RPC call: PostgreSQL refuses NUL, and no id,
        token, amount or name holds the others. Checked before any handler
        reads them, so none of them reaches a query, a log or a 500. The API
        answers JSON, as for any of its errors (its bodies go through its
        contract, which refuses them too).
        """
        httprequest = request.httprequest
        found = CONTROL_RE.search(httprequest.path) or LINE_BREAK_RE.search(httprequest.path)
        for key, values in [*httprequest.args.lists(), *httprequest.form.lists()]:
            in_form = key in httprequest.form and key not in httprequest.args
            found = found or CONTROL_RE.search(key) or LINE_BREAK_RE.search(key) or any(
                CONTROL_RE.search(value) or (not in_form and LINE_BREAK_RE.search(value)) for value in values
                if isinstance(value, str))
        if not found and httprequest.mimetype == "application/json" and not httprequest.path.startswith(API_PREFIX):
            try:
                body = json.loads(httprequest.get_data(cache=True, as_text=True) or "null")
            except ValueError:
                body = None
            found = cls._booking_json_has_control(body)
        if not found:
            return
        if httprequest.path.startswith(API_PREFIX):
            raise BadRequest(response=request.make_json_response({
                "error": "validation", "message": request.env._("Control characters are not accepted here."),
                "fields": {}}, status=400, headers=[("Cache-Control", "no-store")]))
        raise BadRequest(request.env._("Control characters are not accepted here."))

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
