from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

DEPENDANT_KINDS = [("pet", "Pet"), ("child", "Child"), ("other", "Other")]


# what a customer may set on their dependants (the portal's form)
PORTAL_FIELDS = frozenset({"name", "kind", "species", "breed", "birth_date", "weight", "medical_notes", "active",
                           "image_128"})


class BookingDependant(models.Model):
    """Someone a customer books for: a pet, a child, a parent in their care.

    A dependant belongs to the customer's contact (``partner_id``): the
    customer manages theirs in the portal ("My pets & family"), a
    merchant's staff see those of the customers who booked with them (and
    those they recorded themselves), never another merchant's. Visits are
    the appointments that name the dependant; their summaries and care
    instructions make its history.
    """

    _name = "booking.dependant"
    _inherit = ["mail.thread"]
    _description = "Dependant (Pet, Child...)"
    _order = "partner_id, name, id"
    _rec_names_search = ["name", "partner_id"]

    name = fields.Char(required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner", string="Owner", required=True, index=True, ondelete="cascade", tracking=True,
        help="The customer who books for this dependant.")
    company_id = fields.Many2one(
        "res.company", index=True, default=lambda self: self._default_company(),
        help="The merchant who recorded it; empty when the customer added it in the portal (any merchant they "
             "book with then sees it on the booking).")
    active = fields.Boolean(default=True, tracking=True)
    kind = fields.Selection(selection=DEPENDANT_KINDS, required=True, default="pet", tracking=True)
    species = fields.Char(help="Pets: dog, cat, rabbit...")
    breed = fields.Char()
    birth_date = fields.Date()
    age_label = fields.Char(string="Age", compute="_compute_age_label")
    weight = fields.Float(string="Weight (kg)", digits=(6, 2))
    medical_notes = fields.Text(
        string="Allergies and Medical Notes",
        help="What the provider must know before the visit: allergies, conditions, medication, temperament.")
    appointment_ids = fields.Many2many(
        "booking.appointment", "booking_appointment_dependant_rel", "dependant_id", "appointment_id",
        string="Visits", readonly=True)
    visit_count = fields.Integer(compute="_compute_visit_count")
    image_128 = fields.Image(max_width=128, max_height=128)

    @api.model
    def _default_company(self):
        # staff record a dependant for their merchant; a customer's own belong to no merchant
        return self.env.company if not self.env.user.share else False

    @api.depends("birth_date")
    def _compute_age_label(self):
        today = fields.Date.context_today(self)
        for dependant in self:
            if not dependant.birth_date or dependant.birth_date > today:
                dependant.age_label = False
                continue
            age = relativedelta(today, dependant.birth_date)
            dependant.age_label = (
                self.env._("%(years)s years", years=age.years) if age.years
                else self.env._("%(months)s months", months=age.months))

    def _compute_visit_count(self):
        # the appointments the current user may see (staff: their company's; a customer: theirs)
        counts = dict(self.env["booking.appointment"]._read_group(
            [("dependant_ids", "in", self.ids), ("state", "=", "done")], ["dependant_ids"], ["__count"]))
        for dependant in self:
            dependant.visit_count = counts.get(dependant, 0)

    @api.constrains("birth_date", "weight", "name")
    def _check_values(self):
        today = fields.Date.context_today(self)
        for dependant in self:
            if not (dependant.name or "").strip():
                raise ValidationError(self.env._("A dependant needs a name."))
            if dependant.birth_date and dependant.birth_date > today:
                raise ValidationError(self.env._("The birth date of %(name)s lies in the future.",
                                                 name=dependant.name))
            if dependant.weight < 0 or dependant.weight > 5000:
                raise ValidationError(self.env._("The weight of %(name)s must lie between 0 and 5,000 kg.",
                                                 name=dependant.name))

    @api.model_create_multi
    def create(self, vals_list):
        # a customer adds dependants of their own, with what the portal form holds: never one of a merchant's,
        # nor one already on a booking (bookings name dependants through their own rules)
        user = self.env.user
        if user.share and not self.env.su:
            for vals in vals_list:
                if set(vals) - PORTAL_FIELDS - {"partner_id"} or \
                        vals.get("partner_id", user.partner_id.id) != user.partner_id.id:
                    raise AccessError(self.env._("You can only add your own pets and family, with their details."))
                vals.update(partner_id=user.partner_id.id, company_id=False)
        return super().create(vals_list)

    def write(self, vals):
        # a customer edits their own dependants' details: never the owner, the merchant, or the bookings
        if self.env.user.share and not self.env.su and set(vals) - PORTAL_FIELDS:
            raise AccessError(self.env._("You can only change the details of your pets and family."))
        if "appointment_ids" in vals and not self.env.su:
            # visits are named by the booking (its dependants, under its own rules), never from here
            raise AccessError(self.env._("The visits of a pet or family member are recorded by their bookings."))
        return super().write(vals)

    # === BUSINESS METHODS === #

    def _get_visits(self, limit=None):
        """The dependant's past visits the current user may see, most recent first."""
        self.ensure_one()
        return self.env["booking.appointment"].search(
            [("dependant_ids", "in", self.ids), ("state", "=", "done")], order="start desc", limit=limit)

    def _summary_line(self):
        """"Bella · dog, poodle · 4 years · 7.5 kg": the dependant in one line, for staff and messages."""
        self.ensure_one()
        parts = [self.name]
        if self.kind == "pet":
            parts.append(", ".join(part for part in (self.species, self.breed) if part))
        parts.append(self.age_label or "")
        if self.weight:
            weight = f"{self.weight:g}"
            parts.append(self.env._("%(weight)s kg", weight=weight))
        return " · ".join(part for part in parts if part)

    def action_view_visits(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Visits of %(name)s", name=self.name),
            "res_model": "booking.appointment",
            "view_mode": "list,form",
            "domain": [("dependant_ids", "in", self.ids)],
            "context": {"create": False},
        }
