from markupsafe import Markup

from odoo import models


class BookingAppointment(models.Model):
    """Test bookings: what staff book on their page's preview before it is published.

    Only the staff of the page's company reach an unpublished page (the page
    route and the API's ``_page_or_404``), so a booking on one is the
    merchant trying the page as a customer would. It is a real booking, with
    its messages and its time taken; the chatter says it is a test, so that
    nobody takes it for a customer's.
    """

    _inherit = "booking.appointment"

    def _book_online(self, page, service, provider, start, *args, **kwargs):
        appointment = super()._book_online(page, service, provider, start, *args, **kwargs)
        if not page.is_published:
            appointment._post_test_booking_note()
        return appointment

    def _post_test_booking_note(self):
        """Say in the chatter that this booking was made on the preview of an unpublished page."""
        for appointment in self:
            appointment.message_post(
                body=Markup("<p>%s</p>") % self.env._(
                    "Test booking: made by %(user)s on the preview of %(page)s, which is not published. It is a "
                    "real booking (its time is taken, its messages are sent): cancel it once you are done.",
                    user=self.env.user.name, page=appointment.page_id.name),
                message_type="comment", subtype_xmlid="mail.mt_note",
            )
