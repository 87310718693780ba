from werkzeug.urls import url_encode

from odoo import fields, models
from odoo.tools.sql import create_index

# when a done visit ended: the follow-up job reads the last weeks of it, never the whole history
VISIT_END_INDEX = "booking_appointment_visit_end_index"


class BookingAppointment(models.Model):
    """After the visit: its record (what was done, care instructions), "Book again" and the follow-up."""

    _inherit = "booking.appointment"

    # === VISIT RECORD === #
    visit_summary = fields.Text(
        tracking=True, copy=False,
        help="What was done at the visit, written at checkout: the customer gets it with the receipt.")
    care_instructions = fields.Text(
        tracking=True, copy=False,
        help="Follow-up instructions for the customer (aftercare, what to watch, when to come back).")

    def init(self):
        res = super().init()
        create_index(self.env.cr, VISIT_END_INDEX, self._table, ["(COALESCE(completed_at, stop))"],
                     where="state = 'done'")
        return res

    def _get_visit_record_values(self):
        """What the customer gets of the visit with the receipt: for whom, the summary, the care instructions."""
        self.ensure_one()
        if not (self.visit_summary or self.care_instructions):
            return {}
        return {
            "dependants": ", ".join(self.dependant_ids.sudo().mapped("name")),
            "summary": self.visit_summary or "",
            "care_instructions": self.care_instructions or "",
        }

    def action_complete(self, charge_card=True):
        """The visit's record reaches the customer at checkout, whatever is due (the receipt carries it once paid)."""
        result = super().action_complete(charge_card=charge_card)
        for appointment in self.filtered(lambda a: a.state == "done" and a._get_visit_record_values()):
            if not appointment._is_settled():
                appointment._notify("visit_summary")
        return result

    # === COMING BACK === #

    def _book_again_url(self):
        """"Book again": the page with this visit's service, provider and dependants chosen.

        The page preselects a dependant for its signed-in owner only and
        ignores the parameter for anyone else.
        """
        self.ensure_one()
        params = {"service": self.service_id.id, "provider": self.provider_id.id}
        if self.dependant_ids:
            params["dependant"] = ",".join(str(dependant_id) for dependant_id in self.dependant_ids.ids)
        return f"{self.page_id.get_base_url()}/p/{self.page_id.slug}?{url_encode(params)}"

    def _booked_again_since(self):
        """Whether the customer booked this visit's service again since (any booking starting or made after it)."""
        self.ensure_one()
        return bool(self.sudo().with_context(active_test=False).search_count([
            ("partner_id", "=", self.partner_id.id), ("service_id", "=", self.service_id.id),
            ("id", "!=", self.id), "|", ("start", ">", self.start), ("create_date", ">", self.start)], limit=1))
