from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..booking_api.schemas import MAX_DEPENDANTS
from ..const import BILL_EDITABLE_STATES
from ..exceptions import BookingInputError
from ..exceptions import LoginRequiredError


class BookingAppointment(models.Model):
    """Dependants: the customer's pets, children... a visit is for (``booking.dependant``).

    One booking may cover several of them; it then lasts as long as theirs
    added up (``_get_booked_duration``).
    """

    _inherit = "booking.appointment"

    # === FOR WHOM === #
    dependant_ids = fields.Many2many(
        "booking.dependant", "booking_appointment_dependant_rel", "appointment_id", "dependant_id",
        string="For", domain="[('partner_id', '=', partner_id)]",
        help="The customer's pets, children... this visit is for. One booking covering several lasts as long as "
             "theirs added up.")
    service_for_dependant = fields.Boolean(related="service_id.for_dependant")
    dependant_details = fields.Text(
        string="About Them", compute="_compute_dependant_details",
        help="What the provider should know: kind, breed, age, weight, allergies and medical notes.")
    dependant_history_ids = fields.Many2many(
        "booking.appointment", compute="_compute_dependant_history", string="Previous Visits",
        help="Earlier visits of the same dependants with this merchant, most recent first.")

    @api.depends("dependant_ids", "dependant_ids.medical_notes", "dependant_ids.weight")
    def _compute_dependant_details(self):
        for appointment in self:
            lines = []
            for dependant in appointment.dependant_ids:
                lines.append(dependant._summary_line())
                if dependant.medical_notes:
                    lines.append("  " + self.env._("Notes: %(notes)s", notes=dependant.medical_notes))
            appointment.dependant_details = "\n".join(lines) or False

    @api.depends("dependant_ids")
    def _compute_dependant_history(self):
        for appointment in self:
            if not appointment.dependant_ids:
                appointment.dependant_history_ids = False
                continue
            # searched with the user's rights: staff see their own company's visits only
            appointment.dependant_history_ids = self.search([
                ("dependant_ids", "in", appointment.dependant_ids.ids), ("id", "!=", appointment._origin.id),
                ("state", "=", "done")], order="start desc", limit=20)

    @api.onchange("dependant_ids", "service_id")
    def _onchange_dependant_duration(self):
        if self.service_id and len(self.dependant_ids) > 1:
            self.duration_minutes = self.service_id._duration_for(len(self.dependant_ids))

    @api.constrains("dependant_ids", "partner_id", "service_id")
    def _check_dependants(self):
        for appointment in self:
            dependants = appointment.dependant_ids.sudo()
            if not dependants:
                continue
            service = appointment.service_id
            if dependants.partner_id != appointment.partner_id:
                raise ValidationError(self.env._(
                    "%(customer)s can only book for their own pets and family.",
                    customer=appointment.partner_id.name))
            if dependants.filtered(lambda d, company=appointment.company_id: d.company_id and d.company_id != company):
                raise ValidationError(self.env._("A pet or family member recorded by another business cannot be "
                                                 "booked here."))
            if not service.for_dependant:
                raise ValidationError(self.env._("%(service)s is not booked for a pet or family member.",
                                                 service=service.name))
            kinds = service._dependant_kinds()
            wrong = dependants.filtered(lambda d, kinds=kinds: d.kind not in kinds)
            if wrong:
                raise ValidationError(self.env._("%(service)s is not for %(names)s.", service=service.name,
                                                 names=", ".join(wrong.mapped("name"))))
            if len(dependants) > service._max_dependants():
                raise ValidationError(self.env._(
                    "One booking of %(service)s covers at most %(count)s: book the others separately.",
                    service=service.name, count=service._max_dependants()))

    # === PRICE PER DEPENDANT === #

    def write(self, vals):
        result = super().write(vals)
        if "dependant_ids" in vals:
            self.filtered("service_id.price_per_dependant")._sync_dependant_quantity()
        return result

    def _sync_service_line(self):
        """The bill's service line, once per dependant when the service is priced per dependant."""
        result = super()._sync_service_line()
        self._sync_dependant_quantity()
        return result

    def _sync_dependant_quantity(self):
        """A service priced per dependant bills its price once for each of them: the service line's quantity.

        Only while the bill may change (never after checkout), and through the
        bill's own write, so the payment contract follows.
        """
        for appointment in self.filtered(lambda a: a.state in BILL_EDITABLE_STATES):
            line = appointment._get_service_line()
            quantity = float(max(1, len(appointment.dependant_ids))) \
                if appointment.service_id.price_per_dependant else 1.0
            if line and line.quantity != quantity:
                line.sudo().write({"quantity": quantity})

    # === HOOKS === #

    def _get_booked_duration(self):
        """One booking for several dependants lasts as long as theirs added up."""
        duration = super()._get_booked_duration()
        if len(self.dependant_ids) > 1:
            return self.service_id._duration_for(len(self.dependant_ids))
        return duration

    # === ONLINE === #

    @api.model
    def _check_online_dependants(self, service, partner, dependant_ids):
        """The dependants a customer asked ``service`` for, checked; an empty recordset if none.

        Dependants belong to proven customers: a guest cannot name one, and
        an id that is not one of the customer's own active dependants is
        refused like an unknown one (nothing tells them apart).

        :raise LoginRequiredError: the service is for a dependant and the visitor is a guest.
        :raise BookingInputError: on ``dependant_ids``.
        """
        Dependant = self.env["booking.dependant"].sudo()
        ids = [value for value in (dependant_ids or []) if isinstance(value, int) and not isinstance(value, bool)]
        if len(ids) != len(dependant_ids or []) or len(set(ids)) != len(ids) or len(ids) > MAX_DEPENDANTS:
            raise BookingInputError({"dependant_ids": self.env._("must be at most %(count)s distinct ids",
                                                                  count=MAX_DEPENDANTS)})
        if not ids:
            if service.for_dependant and not partner:
                raise LoginRequiredError(self.env._(
                    "Please sign in to book %(service)s for your pet or family member.", service=service.name))
            if service.for_dependant:
                raise BookingInputError({"dependant_ids": self.env._("choose who this booking is for")})
            return Dependant
        if not partner:
            raise BookingInputError({"dependant_ids": self.env._(
                "sign in to book for your pets and family")})
        if not service.for_dependant:
            raise BookingInputError({"dependant_ids": self.env._("this service is not booked for a dependant")})
        dependants = Dependant.search([("id", "in", ids), ("partner_id", "=", partner.id)])
        if len(dependants) != len(ids):
            raise BookingInputError({"dependant_ids": self.env._("unknown pet or family member")})
        kinds = service._dependant_kinds()
        if dependants.filtered(lambda d: d.kind not in kinds):
            raise BookingInputError({"dependant_ids": self.env._(
                "%(service)s is not for this kind of dependant", service=service.name)})
        if len(dependants) > service._max_dependants():
            raise BookingInputError({"dependant_ids": self.env._(
                "one booking covers at most %(count)s: book the others separately",
                count=service._max_dependants())})
        return dependants
