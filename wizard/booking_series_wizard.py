from markupsafe import Markup
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..exceptions import BookingInputError
from ..exceptions import SeriesUnavailableError


class BookingSeriesWizard(models.TransientModel):
    """Staff repeat a booking as a series: the plan first (free or taken, with alternatives), then all or nothing.

    The series' rules are ``booking.series``'s (``_plan_series``,
    ``_book_series`` with ``staff=True``: any service, no notice or horizon,
    no deposit asked, confirmed at once).
    """

    _name = "booking.series.wizard"
    _description = "Repeat a Booking as a Series"

    appointment_id = fields.Many2one("booking.appointment", required=True, ondelete="cascade")
    interval_weeks = fields.Integer(string="Every (weeks)", default=1, required=True)
    end_type = fields.Selection(selection=[("count", "A number of times"), ("until", "Until a date")],
                                default="count", required=True)
    count = fields.Integer(string="Occurrences", default=4, help="The booking itself included.")
    until_date = fields.Date(string="Until")
    plan_html = fields.Html(compute="_compute_plan_html", sanitize=False)

    def _book_args(self):
        self.ensure_one()
        appointment = self.appointment_id
        return {
            "page": appointment.page_id, "service": appointment.service_id, "provider": appointment.provider_id,
            "first_start": appointment.start, "interval_weeks": self.interval_weeks,
            "count": self.count if self.end_type == "count" else None,
            "until": self.until_date if self.end_type == "until" else None,
            "partner": appointment.partner_id, "staff": True, "existing": appointment, "source": "backend",
        }

    @api.depends("interval_weeks", "end_type", "count", "until_date", "appointment_id")
    def _compute_plan_html(self):
        """The series' plan (``booking.series._plan_series``), as a table: free, or taken with the nearest times."""
        Series = self.env["booking.series"]
        for wizard in self:
            args = wizard._book_args() if wizard.appointment_id else None
            if not args or (args["until"] is None and args["count"] is None):
                wizard.plan_html = False
                continue
            args.pop("source")
            try:
                plan = Series._plan_series(**args)
            except BookingInputError as error:
                wizard.plan_html = Markup("<p class='text-danger'>%s</p>") % "; ".join(error.fields.values())
                continue
            wizard.plan_html = wizard._plan_table(plan)

    def _plan_table(self, plan):
        appointment = self.appointment_id
        rows = []
        for entry in plan:
            if entry["available"]:
                status = escape(self.env._("free"))
            else:
                alternatives = ", ".join(appointment._when_label(slot.start, style="short")
                                         for slot in entry["alternatives"])
                status = Markup("<span class='text-danger'>%s</span>") % (
                    self.env._("%(reason)s; nearest free: %(times)s", reason=entry["reason"],
                               times=alternatives or "-"))
            rows.append(Markup("<tr><td>%s</td><td>%s</td></tr>") % (
                appointment._when_label(entry["start"], style="short"), status))
        return Markup("<table class='table table-sm'><tbody>%s</tbody></table>") % Markup("").join(rows)

    def action_book(self):
        self.ensure_one()
        try:
            series = self.env["booking.series"]._book_series(**self._book_args())
        except SeriesUnavailableError as error:
            appointment = self.appointment_id
            lines = [self.env._("%(when)s: %(reason)s (nearest free: %(times)s)",
                                when=appointment._when_label(entry["start"], style="short"), reason=entry["reason"],
                                times=", ".join(appointment._when_label(slot.start, style="short")
                                                for slot in entry["alternatives"]) or "-")
                     for entry in error.occurrences if not entry["available"]]
            raise UserError("\n".join([error.args[0], *lines])) from None
        return {
            "type": "ir.actions.act_window", "res_model": "booking.series", "res_id": series.id,
            "view_mode": "form", "target": "current",
        }
