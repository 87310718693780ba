from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class RatingRating(models.Model):
    """Ratings of bookings (Odoo's ``rating`` module): the customer's stars and comment, the merchant's reply.

    A rating of an appointment knows its booking's page, service, provider
    and company (stored), so a page shows its averages per service and
    provider in one grouped query, and staff see their own companies'
    reviews only. Published means answered and not hidden by staff
    (``is_internal``, rating's own switch); the reply is portal_rating's
    ``publisher_comment``.
    """

    _inherit = "rating.rating"

    booking_appointment_id = fields.Many2one(
        "booking.appointment", string="Booking", compute="_compute_booking_appointment_id", store=True,
        index="btree_not_null", ondelete="cascade")
    booking_page_id = fields.Many2one(related="booking_appointment_id.page_id", store=True, index="btree_not_null",
                                      string="Booking Page")
    booking_service_id = fields.Many2one(related="booking_appointment_id.service_id", store=True,
                                         index="btree_not_null", string="Service")
    booking_provider_id = fields.Many2one(related="booking_appointment_id.provider_id", store=True,
                                          index="btree_not_null", string="Provider")
    booking_company_id = fields.Many2one(related="booking_appointment_id.company_id", store=True,
                                         index="btree_not_null", string="Booking Company")
    booking_published = fields.Boolean(string="Published", compute="_compute_booking_published")
    booking_answered_at = fields.Datetime(string="Answered on", readonly=True)

    @api.depends("res_model", "res_id")
    def _compute_booking_appointment_id(self):
        for rating in self:
            rating.booking_appointment_id = rating.res_id if rating.res_model == "booking.appointment" else False

    @api.depends("consumed", "is_internal")
    def _compute_booking_published(self):
        for rating in self:
            rating.booking_published = rating.consumed and not rating.is_internal

    # === STAFF === #

    def _check_booking_staff(self):
        """Only the merchant's staff (of the booking's company) publish, hide or answer a review."""
        for rating in self:
            appointment = rating.booking_appointment_id
            if not appointment or not appointment._is_staff(self.env.user):
                raise AccessError(self.env._("Only the merchant's staff may do this to a review."))
            if not rating.consumed:
                raise UserError(self.env._("The customer has not answered yet."))

    def action_booking_unpublish(self):
        """Hide reviews from the public page and the API (they stay in the booking's chatter)."""
        self._check_booking_staff()
        self.sudo().write({"is_internal": True})
        for rating in self:
            rating.booking_appointment_id._message_log(body=self.env._("Review hidden from the public page."))
        return True

    def action_booking_publish(self):
        self._check_booking_staff()
        self.sudo().write({"is_internal": False})
        for rating in self:
            rating.booking_appointment_id._message_log(body=self.env._("Review shown on the public page."))
        return True

    def _booking_reply(self, text):
        """The merchant's public answer to a review (empty: no answer)."""
        self._check_booking_staff()
        text = (text or "").strip()
        if len(text) > 2000:
            raise UserError(self.env._("A reply holds at most 2,000 characters."))
        self.write({"publisher_comment": text or False})
        return True

    # === PUBLIC === #

    def _booking_author_label(self):
        """How the page names the author: first name and initial ("Carla C."), nothing more of the customer."""
        self.ensure_one()
        words = (self.partner_id.name or "").split()
        if not words:
            return self.env._("A customer")
        return f"{words[0]} {words[-1][0]}." if len(words) > 1 else words[0]

    def _booking_public_payload(self):
        """A published review as the page and the API show it."""
        self.ensure_one()
        return {
            "id": self.id,
            "rating": round(self.rating),
            "comment": self.feedback or "",
            "author": self._booking_author_label(),
            "date": fields.Date.to_string((self.booking_answered_at or self.create_date).date()),
            "service_id": self.booking_service_id.id,
            "provider_id": self.booking_provider_id.id or None,
            "reply": self.publisher_comment or None,
        }
