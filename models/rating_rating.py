from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

BOOKING_MODEL = "booking.appointment"
# What staff of the booking's company may change on a review of a booking: the reply, shown or hidden
BOOKING_STAFF_FIELDS = frozenset({"publisher_comment", "publisher_id", "publisher_datetime", "is_internal"})


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

    # === WHO WRITES A REVIEW OF A BOOKING === #

    @api.model
    def _booking_targeted(self, vals):
        """Whether create/write values put a rating on a booking."""
        if vals.get("res_model") == BOOKING_MODEL:
            return True
        model_id = vals.get("res_model_id")
        return bool(model_id) and model_id == self.env["ir.model"]._get_id(BOOKING_MODEL)

    @api.model_create_multi
    def create(self, vals_list):
        """A review of a booking is made by the customer's signed link only (``_submit_review``, sudo).

        Odoo's rating access lets every employee create ratings: without
        this, any employee (even without a booking group) could publish a
        5-star review on any booking they know the id of.
        """
        if not self.env.su and any(self._booking_targeted(vals) for vals in vals_list):
            raise AccessError(self.env._("Reviews of bookings are written by their customers, through their link."))
        return super().create(vals_list)

    def write(self, vals):
        """On a review of a booking, staff of its company write the reply and publish or hide it, nothing else.

        The stars, the comment, the author and the booking are the
        customer's answer, written only through their signed link (sudo);
        an employee without booking rights, or staff of another company,
        write nothing on it; nobody moves a rating onto a booking.
        """
        if not self.env.su:
            booking_ratings = self.filtered(lambda rating: rating.res_model == BOOKING_MODEL)
            if self._booking_targeted(vals) or ("res_id" in vals and booking_ratings):
                raise AccessError(self.env._("Reviews of bookings are written by their customers, through their "
                                             "link."))
            if booking_ratings:
                if set(vals) - BOOKING_STAFF_FIELDS:
                    raise AccessError(self.env._("A customer's review is theirs: staff may only answer it, publish "
                                                 "or hide it."))
                booking_ratings._check_booking_staff()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_booking_review(self):
        """Reviews of bookings are deleted with their booking, or by an administrator (Odoo's rating access)."""
        if not self.env.su and not self.env.user._is_system() and any(
                rating.res_model == BOOKING_MODEL for rating in self):
            raise AccessError(self.env._("Reviews of bookings cannot be deleted; hide them from the page instead."))

    # === STAFF === #

    def _check_booking_staff(self):
        """Only the merchant's staff (of the booking's company) publish, hide or answer a review."""
        for rating in self:
            appointment = rating.sudo().booking_appointment_id
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
