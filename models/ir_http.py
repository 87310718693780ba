from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

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
