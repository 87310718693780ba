from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class BookingSetupServices(models.TransientModel):
    """Your services: name, length, price, deposit and approval, one line each.

    New services are published and delivered by the whole team of the page;
    services taken off the list leave the page. Finer settings (buffers, a
    fixed deposit, who delivers what) are on the service's own form.
    """

    _name = "booking.setup.services"
    _inherit = "booking.setup.step"
    _description = "Guided Setup: Services"
    _setup_step = "services"

    line_ids = fields.One2many("booking.setup.services.line", "wizard_id", string="Services",
                               default=lambda self: self._default_line_ids())

    @api.model
    def _default_line_ids(self):
        return [Command.create({
            "service_id": service.id,
            "name": service.name,
            "duration_minutes": service.duration_minutes,
            "price": service.price,
            "has_fixed_deposit": service.deposit_type == "fixed",
            "deposit_percent": service.deposit_value if service.deposit_type == "percent" else 0.0,
            "requires_approval": service.requires_approval,
        }) for service in self.env["booking.page"]._booking_setup_page().service_ids]

    def _apply(self):
        lines = self.line_ids.filtered(lambda line: (line.name or "").strip())
        if not lines:
            raise UserError(self.env._("Add at least one service: what do customers book?"))
        page = self._get_page()
        Service = self.env["booking.service"]
        services = Service
        for sequence, line in enumerate(lines, start=1):  # listed on the page in the order of the form
            if not 0 <= line.deposit_percent <= 100:
                raise UserError(self.env._("The deposit of %(service)s is a percentage of its price, from 0 to 100.",
                                           service=line.name))
            vals = {
                "name": line.name.strip(),
                "duration_minutes": line.duration_minutes,
                "price": line.price,
                "requires_approval": line.requires_approval,
                "sequence": sequence,
            }
            if not line.has_fixed_deposit:  # a fixed deposit is set on the service's form, and kept here
                vals.update(deposit_type="percent" if line.deposit_percent else "none",
                            deposit_value=line.deposit_percent)
            if line.service_id:
                line.service_id.write(vals)
                services |= line.service_id
            else:
                services |= Service.create({
                    **vals,
                    "company_id": page.company_id.id,
                    "is_published": True,
                    "provider_ids": [Command.set(page.provider_ids.ids)],
                })
        # a service nobody delivers cannot be booked: the team delivers it
        services.filtered(lambda service: not service.provider_ids).provider_ids = page.provider_ids
        page.service_ids = [Command.set(services.ids)]


class BookingSetupServicesLine(models.TransientModel):
    _name = "booking.setup.services.line"
    _description = "Guided Setup: a Service"
    _order = "id"

    wizard_id = fields.Many2one("booking.setup.services", required=True, ondelete="cascade")
    service_id = fields.Many2one("booking.service", string="Existing Service", readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    name = fields.Char(string="Service", required=True)
    duration_minutes = fields.Integer(string="Duration (minutes)", required=True, default=30)
    price = fields.Monetary(currency_field="currency_id")
    deposit_percent = fields.Float(string="Deposit (%)", help="Paid online when booking: a percentage of the price. "
                                   "0: no deposit.")
    has_fixed_deposit = fields.Boolean(readonly=True, help="The service asks for a fixed deposit, set on its form.")
    requires_approval = fields.Boolean(string="Needs Your OK", help="Bookings wait for your answer before they are "
                                       "confirmed; the others are confirmed at once.")
