from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.res_partner_notification import CHANNELS_OF

PAGE_NAME = "booking_notifications"


class BookingNotificationPortal(CustomerPortal):
    """"How we contact you": the signed-in customer's notification preferences (channel, review requests and
    follow-ups).

    Only the account's owner, signed in, reaches it (``auth="user"``; a
    booking's link grants that booking, never its customer's preferences):
    the page reads and writes the signed-in user's own contact, nobody
    else's, whatever the form posts.
    """

    def _booking_notifications_render(self, partner, message=None, error=None, status=200):
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": PAGE_NAME,
            "preferences": partner._booking_notification_preferences(),
            "partner": partner,
            "channels": [("default", request.env._("As each business sends them")),
                         ("email", request.env._("E-mail")), ("sms", request.env._("Text message (SMS)")),
                         ("both", request.env._("E-mail and text message"))],
            "message": message,
            "error": error,
        })
        return request.render("self_serve_booking.portal_my_notifications", values, status=status)

    @http.route("/my/notifications", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_my_notifications(self, channel=None, marketing=None, **kwargs):
        partner = request.env.user.partner_id.sudo()  # the signed-in customer's own contact, no other
        if request.httprequest.method != "POST":
            return self._booking_notifications_render(partner)
        if not isinstance(channel, str) or (channel != "default" and channel not in CHANNELS_OF):
            return self._booking_notifications_render(partner, error=request.env._("Choose how we contact you."),
                                                      status=400)
        try:
            partner._booking_set_notification_preferences(channel=channel, marketing=marketing == "1")
        except UserError as error:
            return self._booking_notifications_render(partner, error=str(error.args[0]), status=400)
        return self._booking_notifications_render(partner, message=request.env._("Saved."))
