from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class BookingSetupTeam(models.TransientModel):
    """Your team: who takes bookings, one line each.

    New people become providers working the page's hours and delivering its
    services; people taken off the list leave the page (their provider stays,
    with its history).
    """

    _name = "booking.setup.team"
    _inherit = "booking.setup.step"
    _description = "Guided Setup: Team"
    _setup_step = "team"

    line_ids = fields.One2many("booking.setup.team.line", "wizard_id", string="People",
                               default=lambda self: self._default_line_ids())

    @api.model
    def _default_line_ids(self):
        providers = self.env["booking.page"]._booking_setup_page().provider_ids
        if not providers:  # a one-person business: the merchant, to start with
            return [Command.create({"name": self.env.user.name})]
        return [Command.create({"provider_id": provider.id, "name": provider.name, "job_title": provider.job_title})
                for provider in providers]

    def _apply(self):
        lines = self.line_ids.filtered(lambda line: (line.name or "").strip())
        if not lines:
            raise UserError(self.env._("Add at least one person: who takes the bookings?"))
        page = self._get_page()
        calendar = page.resource_calendar_id or page.company_id.resource_calendar_id
        Provider = self.env["booking.provider"]
        team = Provider
        for sequence, line in enumerate(lines, start=1):  # shown on the page in the order of the form
            vals = {"name": line.name.strip(), "job_title": (line.job_title or "").strip() or False,
                    "sequence": sequence}
            if line.provider_id:
                line.provider_id.write(vals)
                team |= line.provider_id
            else:
                team |= Provider.create({
                    **vals,
                    "company_id": page.company_id.id,
                    "resource_calendar_id": calendar.id,
                    "tz": page.tz,
                    "service_ids": [Command.set(page.service_ids.ids)],
                })
        page.provider_ids = [Command.set(team.ids)]


class BookingSetupTeamLine(models.TransientModel):
    _name = "booking.setup.team.line"
    _description = "Guided Setup: a Person of the Team"
    _order = "id"

    wizard_id = fields.Many2one("booking.setup.team", required=True, ondelete="cascade")
    provider_id = fields.Many2one("booking.provider", string="Existing Provider", readonly=True, ondelete="cascade")
    name = fields.Char(required=True)
    job_title = fields.Char()
