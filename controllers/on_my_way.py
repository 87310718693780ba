from odoo import http
from odoo.http import request

from ..const import URL_ID as ID
from ..models.booking_appointment_on_my_way import ON_MY_WAY_CHOICES


class BookingOnMyWay(http.Controller):
    """The provider's "on my way" link from their agenda SMS.

    The signature is the authority (csrf=False, as the check-in link): it
    grants this one booking's "on my way", nothing else. Opening it changes
    nothing (SMS previews open links); a button sends, with the estimate
    picked among the choices shown.
    """

    @http.route(f"/booking/on-my-way/<{ID}:appointment_id>/<string:signature>", type="http", auth="public",
                website=True, methods=["GET", "POST"], csrf=False, sitemap=False)
    def booking_on_my_way(self, appointment_id, signature, minutes=None, **kwargs):
        act = request.httprequest.method == "POST"
        picked = int(minutes) if isinstance(minutes, str) and minutes.isascii() and minutes.isdigit() \
            and len(minutes) <= 3 else None
        result, appointment, detail = request.env["booking.appointment"].sudo().browse(
            appointment_id)._on_my_way_by_link(signature, minutes=picked, act=act)
        response = request.render("self_serve_booking.booking_on_my_way_page", {
            "result": result, "appointment": appointment, "detail": detail, "choices": ON_MY_WAY_CHOICES,
        })
        response.status_code = {"invalid": 403, "refused": 409}.get(result, 200)
        return response
