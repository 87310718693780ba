import base64
import io

import qrcode

from odoo import api, models
from odoo.tools.misc import hmac as hmac_sign

from ..tools import safe_consteq


class BookingSignedLinkMixin(models.AbstractModel):
    """Links that carry their own authority: approve a request, check in, answer a waitlist offer.

    A link names its record and what it may do, signed with the database
    secret (HMAC-SHA256, Odoo's ``tools.misc.hmac``) under a scope of its own,
    so a signature of one kind of link is worth nothing for another, and
    checked in constant time whatever a stranger puts in the URL. What a
    signature covers decides what a link grants: each model binds the
    record's customer (and, for approvals, the request's secret and deadline)
    so that a link grants one thing, never the customer behind it.
    """

    _name = "booking.signed.link.mixin"
    _description = "Booking Signed Link"

    def _link_signature(self, scope, *parts):
        """The signature of a link of ``scope`` to this record, covering ``parts``."""
        self.ensure_one()
        message = ":".join(str(part) for part in (self.id, *parts))
        return hmac_sign(self.env(su=True), f"self_serve_booking.{scope}", message)

    def _link_signature_ok(self, scope, signature, *parts):
        """Whether ``signature`` (anything a visitor sent) signs a link of ``scope`` covering ``parts``."""
        self.ensure_one()
        return safe_consteq(self._link_signature(scope, *parts), signature)

    @api.model
    def _qr_png(self, url):
        """``url`` as a QR code: PNG bytes."""
        image = qrcode.make(url, box_size=6, border=2)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    @api.model
    def _qr_data_uri(self, url):
        """``url`` as a QR code in a PNG data URI, for pages (e-mails link the PNG instead)."""
        return "data:image/png;base64," + base64.b64encode(self._qr_png(url)).decode()
