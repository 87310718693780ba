from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..exceptions import BookingInputError
from ..tools import text_error


class BookingAppointment(models.Model):
    """Reviews (``rating.mixin``): after the visit the customer is asked once for 1-5 stars and a comment.

    By a signed link that grants the review of this one booking and nothing
    else: it covers the booking and its customer, needs no sign-in, and
    takes one answer. The answer is a ``rating.rating`` of the booking.
    """

    _name = "booking.appointment"
    # rating.mixin first: it extends mail.thread, which the core inherits and must come after it
    _inherit = ["rating.mixin", "booking.appointment"]

    # precomputed: a new booking has no rating, which its INSERT says without asking the ratings table
    rating_last_value = fields.Float(compute="_compute_rating_last_value", store=True, precompute=True)

    def _compute_rating_last_value(self):
        unsaved = self.filtered(lambda appointment: not appointment._origin.id)
        unsaved.rating_last_value = 0.0
        return super(BookingAppointment, self - unsaved)._compute_rating_last_value()

    def write(self, vals):
        if "rating_last_value" in vals and not self.env.su:
            # a precomputed field keeps what is written: the ratings alone set it (Odoo recomputed it before)
            raise AccessError(self.env._("A booking's rating comes from its customer's review."))
        return super().write(vals)

    # === HOOKS === #

    def _on_state_changed(self, old_state):
        result = super()._on_state_changed(old_state)
        if self.state == "done" and old_state != "done" and self._is_settled():
            self._queue_review_request()  # else once settled (``_on_settled``): asked before paying, it grates
        return result

    def _on_settled(self):
        result = super()._on_settled()
        if self.state == "done":
            self._queue_review_request()
        return result

    def _get_allowed_message_post_params(self):
        """A review is given through its signed link only (``_submit_review``), never with a chatter message."""
        return super()._get_allowed_message_post_params() - {"rating_value"}

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        """A rating never comes with a message (portal_rating would make it a published review)."""
        kwargs.pop("rating_value", None)
        return super().message_post(**kwargs)

    # === THE REVIEW === #

    def _rating_get_operator(self):
        """Who is rated: the provider's user, when they have one."""
        return self.provider_id.user_id.partner_id if "provider_id" in self else self.env["res.partner"]

    def _queue_review_request(self):
        """Queue the review request of a completed booking, once (the outbox key is the booking's)."""
        self.ensure_one()
        if self.partner_id and self.page_id.reviews_enabled:
            self._notify("review_request")

    def _review_signature(self):
        self.ensure_one()
        return self._link_signature("review", self.partner_id.id)

    def _review_url(self, stars=None):
        """The signed link of this booking's review form (``stars``: pre-chosen, from the e-mail's stars)."""
        self.ensure_one()
        url = f"{self.page_id.get_base_url()}/p/{self.page_id.slug}/review/{self.id}/{self._review_signature()}"
        return f"{url}?stars={int(stars)}" if stars else url

    def _review_rating(self):
        """The customer's answered rating of this booking, if any."""
        self.ensure_one()
        return self.env["rating.rating"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "=", self.id), ("consumed", "=", True)], limit=1)

    def _check_review_link(self, signature):
        """What a review link (anything a visitor sent) allows: "invalid", "answered" or "open"."""
        self.ensure_one()
        if (not isinstance(signature, str) or len(signature) > 128 or self.state != "done"
                or not self.partner_id or not self._link_signature_ok("review", signature, self.partner_id.id)):
            return "invalid"
        return "answered" if self._review_rating() else "open"

    def _submit_review(self, signature, stars, comment=None):
        """The customer's answer through the signed link: once per booking.

        :return: the link's status after the attempt: "invalid", "answered"
            (a second answer: refused), "busy" or "done".
        :raise BookingInputError: stars not 1-5 or a comment too long.
        """
        self.ensure_one()
        status = self._check_review_link(signature)
        if status != "open":
            return status
        stars = int(stars) if isinstance(stars, (int, str)) and str(stars).strip() in ("1", "2", "3", "4", "5") else 0
        comment = comment.strip() if isinstance(comment, str) else ""
        errors = {}
        if not stars:
            errors["stars"] = self.env._("choose from 1 to 5 stars")
        if len(comment) > 2000:
            errors["comment"] = self.env._("at most 2,000 characters")
        elif text_error(comment):
            errors["comment"] = self.env._("must not contain control characters")
        if errors:
            raise BookingInputError(errors)
        if not self._try_lock():
            return "busy"
        if self._review_rating():  # answered meanwhile, by another request
            return "answered"
        appointment = self.sudo()
        rating = self.env["rating.rating"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "=", self.id), ("consumed", "=", False),
            ("partner_id", "=", self.partner_id.id)], limit=1)
        if not rating:
            rating = rating.create({
                "res_model_id": self.env["ir.model"]._get_id(self._name),
                "res_id": self.id,
                "partner_id": self.partner_id.id,
                "rated_partner_id": self._rating_get_operator().id,
            })
        appointment.rating_apply(stars, rating=rating, feedback=comment or False,
                                 subtype_xmlid="self_serve_booking.mt_booking_staff")  # staff reply or unpublish
        rating.write({"booking_answered_at": fields.Datetime.now(),
                      "is_internal": not self.page_id.reviews_auto_publish})
        return "done"
