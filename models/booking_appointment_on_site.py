import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import BookingInputError
from ..tools import clean_text

ON_SITE_SLOT_FIELDS = frozenset({"travel_minutes"})


class BookingAppointment(models.Model):
    """Jobs at the customer's address: where the provider goes, and the drive there reserved before the job."""

    _inherit = "booking.appointment"

    # === WHERE === #
    address = fields.Char(
        string="Customer's Address", tracking=True,
        help="Where the job takes place, for services delivered at the customer's address.")
    travel_minutes = fields.Integer(
        string="Travel (minutes)", compute="_compute_travel_minutes", store=True, readonly=False, precompute=True,
        help="The provider's drive to the customer's address, reserved before the job with the buffer.")

    @api.constrains("service_id", "address")
    def _check_address(self):
        for appointment in self:
            if appointment.service_id.location == "customer" and not (appointment.address or "").strip():
                raise ValidationError(self.env._(
                    "%(service)s takes place at the customer's address: give the address.",
                    service=appointment.service_id.name))

    @api.depends("service_id", "provider_id")
    def _compute_travel_minutes(self):
        """A snapshot of the provider's travel time, for jobs at the customer's address (like the buffers)."""
        for appointment in self:
            appointment.travel_minutes = appointment.provider_id.travel_minutes \
                if appointment.service_id.location == "customer" else 0

    @api.depends("travel_minutes")
    def _compute_busy_range(self):
        """The provider's drive to the customer is reserved before the job, with the buffer."""
        result = super()._compute_busy_range()
        for appointment in self:
            if appointment.busy_start and appointment.travel_minutes:
                appointment.busy_start -= timedelta(minutes=appointment.travel_minutes)
        return result

    @api.model
    def _get_slot_fields(self):
        return super()._get_slot_fields() | ON_SITE_SLOT_FIELDS

    def _get_agenda_address(self):
        """Where the provider goes for this booking: the customer's address for an on-site job."""
        self.ensure_one()
        if self.service_id.location == "customer" and self.address:
            return self.address
        return super()._get_agenda_address()

    def _is_checked_in_by_provider(self):
        """At the customer's place there is no desk: the provider checks the customer in on arrival."""
        return super()._is_checked_in_by_provider() or self.service_id.location == "customer"

    @api.model
    def _clean_address(self, service, address):
        """The customer's address for an on-site service, checked; nothing for a service at the business.

        :raise BookingInputError: on ``address``, missing or unlike an address.
        """
        if service.location != "customer":
            return False
        address = clean_text(self.env, address, "address", 300)
        if not address or len(address) < 5 or not re.search(r"\w\w", address):
            raise BookingInputError({"address": self.env._(
                "%(service)s takes place at your address: please give the street, number and town.",
                service=service.name)})
        return " ".join(address.split())
