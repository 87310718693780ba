import uuid

from odoo import Command, api, models

from ..const import ONLINE_SOURCES
from ..const import TIME_HOLDING_STATES
from ..exceptions import BookingActionRefused
from ..exceptions import LoginRequiredError
from ..exceptions import SlotUnavailableError
from ..tools import clean_text


class BookingAppointment(models.Model):
    """Booking online: the page's widget, the JSON API and the receptionist book through ``_book_online``.

    So they give the same answers for the same request. It takes records
    the caller resolved, raises BookingInputError (400, a message per
    field), SlotUnavailableError (409, with alternatives),
    BookingActionRefused or LoginRequiredError, and works as superuser once
    the checks are done, because visitors have no access rights on bookings.
    """

    _inherit = "booking.appointment"

    @api.model
    def _book_online(self, page, service, provider, start, customer=None, note=None, source="website",
                     partner=None, address=None, dependant_ids=None, answer_first=False):
        """Book ``start`` (naive UTC) for a customer, following every rule of the page.

        :param provider: a provider, or an empty recordset for "any available".
        :param dict customer: ``name``, ``email``, ``phone`` of a visitor.
        :param partner: the customer who proved who they are (then ``customer`` is ignored).
        :param address: where the job takes place, for a service at the customer's address.
        :param dependant_ids: ids of the customer's dependants this one booking covers (its duration adds up).
        :param answer_first: the caller answers a customer who waits: what the answer does not need follows
            right after, in a scheduled action (see ``booking_appointment_intake``).
        :return: the new appointment (sudo).
        """
        if not partner and not page.allow_guest_booking:
            raise LoginRequiredError(self.env._("Please sign in to book on this page."))
        note = clean_text(self.env, note, "note")
        address = self._clean_address(service, address)
        page._check_start(start)
        dependants = self._check_online_dependants(service, partner, dependant_ids)
        Availability = self.env["booking.availability"].sudo()
        duration = service._duration_for(len(dependants))
        slot = Availability._find_slot_or_raise(page, service, start, provider, duration_minutes=duration)
        self._check_customer_free(page, slot, partner=partner, customer=customer)
        prepay_full = self._check_no_show_risk(page, partner)
        # the booking is made in its merchant's company (its page's): its defaults (ir.default) apply, and
        # nothing reads the request's user (a visitor's) to find out which company is current
        Appointment = self.sudo().with_company(page.company_id)
        # answered first: mail.thread's creation line and subscriptions come with the rest (no tracking on create)
        Creating, intake = (Appointment.with_context(tracking_disable=True), Appointment._intake_values()) \
            if answer_first else (Appointment, {})
        try:
            with self.env.cr.savepoint():
                partner = partner or self.env["res.partner"]._booking_create_guest(
                    page, customer or {}, same_as=not answer_first)
                appointment = Creating.create({
                    **intake,
                    "page_id": page.id,
                    "service_id": service.id,
                    "provider_id": slot.provider_id,
                    "partner_id": partner.id,
                    "start": slot.start,
                    "note": note,
                    "address": address,
                    "source": source,
                    "channel": "online",
                    "state": Appointment._get_initial_state(page, service, source, prepay_full=prepay_full),
                    "prepay_full": prepay_full,
                    "customer_exclusive": not page.allow_overlapping_bookings,
                    # the manage link of the answer, in the INSERT (portal.mixin would UPDATE the row for it)
                    "access_token": str(uuid.uuid4()),
                    # the duration adds up per dependant (see _compute_service_snapshot)
                    **({"dependant_ids": [Command.set(dependants.ids)]} if dependants else {}),
                })
        except SlotUnavailableError:
            # taken between our check and the insert: the constraint decided
            raise Availability._slot_unavailable(page, service, start, provider, duration_minutes=duration) from None
        return appointment.with_env(self.sudo().env)

    @api.model
    def _check_no_show_risk(self, page, partner):
        """No-show protection: whether ``partner`` must prepay the whole price, or a refusal to call.

        Only a customer who proved who they are can be at risk: a guest's
        booking is filed under a new contact, whatever they typed.

        :raise BookingActionRefused: ``call_to_book``, when the policy asks
            customers at risk to call.
        """
        policy = page.cancellation_policy_id
        if not partner or not policy:
            return False
        at_risk, _count = policy._get_no_show_risk(partner)
        if not at_risk:
            return False
        if policy.no_show_risk_action == "call":
            phone = page.partner_id.phone or page.company_id.phone
            phone = f" ({phone})" if phone else ""
            raise BookingActionRefused("call_to_book", self.env._(
                "Please call us to book%(phone)s: online booking is not available for your account.", phone=phone))
        return True

    @api.model
    def _check_customer_free(self, page, slot, partner=None, customer=None):
        """Refuse a second booking of one customer overlapping another on this page (409).

        Unless the page allows it. ``partner`` is a proven customer; for a
        visitor the "customer" is the details they typed (each anonymous
        booking gets a contact of its own): the same name, e-mail and phone
        booked online at an overlapping time is the same request again.
        The exclusion constraint on ``customer_exclusive`` bookings settles
        races of a proven customer.
        """
        if page.allow_overlapping_bookings:
            return
        Appointment = self.sudo()
        domain = [("page_id", "=", page.id), ("state", "in", TIME_HOLDING_STATES),
                  ("start", "<", slot.stop), ("stop", ">", slot.start)]
        if partner:
            clash = Appointment.search([*domain, ("partner_id", "=", partner.id)], limit=1)
            if clash:
                raise Appointment._customer_busy_error(clash)
            return
        # two identical requests at once (a retried request, a double tap) must see each other: the search
        # takes their serialization key in the same statement
        guests = self.env["res.partner"]._booking_same_guests(page, customer or {}, serialize=True)
        if guests and Appointment.search_count(
                [*domain, ("source", "in", ONLINE_SOURCES), ("partner_id", "in", guests.ids)], limit=1):
            raise Appointment._customer_busy_error()
