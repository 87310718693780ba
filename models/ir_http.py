import re

from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError

from odoo import models
from odoo.http import request

from ..booking_api.schemas import MAX_ID


class RecordIdConverter(BaseConverter):
    """A record id in a URL: ASCII digits, at most PostgreSQL's integer.

    Werkzeug's ``int`` converter reads every script's digits (``/١٨`` is 18)
    and any size; beyond the integer type the id would reach the database
    as an error. Anything else matches no route: a 404.
    """

    regex = r"[0-9]{1,10}"

    def to_python(self, value):
        if not re.fullmatch(self.regex, value) or int(value) > MAX_ID:
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
    def _serve_fallback(cls):
        """No stored page or attachment is served at a path holding NUL.

        The website's 404 handling looks the path up in the database, which
        refuses NUL in text: ``/p/x%00y`` (or any unknown path with %00)
        would answer 500 instead of 404.
        """
        if "\x00" in request.httprequest.path:
            return None
        return super()._serve_fallback()
