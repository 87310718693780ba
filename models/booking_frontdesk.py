from datetime import timedelta

import pytz

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from odoo.addons.phone_validation.tools import phone_validation

from ..booking_api.schema import text_error
from ..exceptions import BookingActionRefused
from ..exceptions import BookingInputError
from ..exceptions import LoginRequiredError
from ..exceptions import SlotUnavailableError
from .booking_availability import TIME_HOLDING_STATES
from .booking_page import SLUG_MAX_LENGTH
from .booking_page import SLUG_RE

MAX_SLOT_RANGE_DAYS = 62


def iso_utc(value):
    """ISO 8601 with Z for a naive UTC datetime."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class BookingFrontdesk(models.AbstractModel):
    """The rules of customer self-service, in one place.

    The website widget, the JSON API and the customer portal all book, join
    the waitlist (and later cancel or reschedule) through these methods, so
    they give the same answers for the same request. Methods take records the
    caller resolved and raise :class:`BookingInputError` (400, a message per
    field), :class:`SlotUnavailableError` (409, with alternatives) or
    :class:`LoginRequiredError`; they work as superuser on the booking models
    once the checks are done, because public visitors have no access rights
    on them.
    """

    _name = "booking.frontdesk"
    _description = "Booking Front Desk"

    # === LOOK-UPS === #

    @api.model
    def _get_page(self, slug, website=None, preview=False):
        """The published page at ``slug`` for ``website``, or an empty recordset.

        :param preview: also return unpublished pages of the user's companies
            (managers previewing).
        """
        if not slug or len(slug) > SLUG_MAX_LENGTH or not SLUG_RE.match(slug):
            return self.env["booking.page"]
        page = self.env["booking.page"].sudo().search([("slug", "=", slug)], limit=1)
        if not page or not (page.is_published or (preview and page.company_id in self.env.user.company_ids)):
            return self.env["booking.page"]
        if website and not page._is_served_by(website):
            return self.env["booking.page"]
        return page

    @api.model
    def _get_service(self, page, service_id, field="service_id"):
        service = page._get_bookable_services().filtered(lambda s: s.id == service_id)
        if not service:
            raise BookingInputError({field: self.env._("is not a service offered on this page")})
        return service

    @api.model
    def _get_provider(self, page, service, provider_id, field="provider_id"):
        """The provider asked for, or an empty recordset for "any available"."""
        if not provider_id:
            return self.env["booking.provider"].sudo()
        if not page.show_providers:
            raise BookingInputError({field: self.env._("cannot be chosen on this page: leave it empty")})
        provider = page._get_bookable_providers(service).filtered(lambda p: p.id == provider_id)
        if not provider:
            raise BookingInputError({field: self.env._("does not deliver this service on this page")})
        return provider

    @api.model
    def _clean_text(self, value, field, max_length=2000):
        """Free text from outside (a note, a reason), stripped and cut to ``max_length``.

        Text holding control characters is refused (400): PostgreSQL cannot
        store NUL, and no customer types the others.
        """
        value = (value or "").strip()
        if text_error(value):
            raise BookingInputError({field: self.env._("must not contain control characters")})
        return value[:max_length] or False

    # === SLOTS === #

    @api.model
    def _get_slots(self, page, service, provider, date_from, date_to):
        """Slots between two local dates, and the dates that are open at all, after checking the range.

        :return: ``(slots, open_dates)``, see ``booking.availability._get_days``.
        """
        date_to = date_to or date_from
        errors = {}
        if date_to < date_from:
            errors["date_to"] = self.env._("must not be before date_from")
        elif (date_to - date_from).days >= MAX_SLOT_RANGE_DAYS:
            errors["date_to"] = self.env._("is more than %(days)s days after date_from", days=MAX_SLOT_RANGE_DAYS)
        last = page._last_bookable_date()
        if date_from > last:
            errors["date_from"] = self.env._("is beyond the booking horizon (%(date)s)", date=last.isoformat())
        elif date_to > last:
            errors["date_to"] = self.env._("is beyond the booking horizon (%(date)s)", date=last.isoformat())
        if errors:
            raise BookingInputError(errors)
        return self.env["booking.availability"].sudo()._get_days(
            page, service, date_from, date_to, providers=provider or None
        )

    # === BOOKING === #

    @api.model
    def _check_start(self, page, start, field="start"):
        """Refuse starts in the past, within the minimum notice or beyond the horizon."""
        now = fields.Datetime.now()
        if start <= now:
            raise BookingInputError({field: self.env._("is in the past")})
        if start < now + timedelta(hours=page.min_notice_hours):
            hours = f"{page.min_notice_hours:g}"
            raise BookingInputError({field: self.env._("is too soon: bookings need %(hours)s hours' notice",
                                                       hours=hours)})
        if start >= now + timedelta(days=page.max_advance_days):
            raise BookingInputError({field: self.env._("is too far ahead: bookings open %(days)s days in advance",
                                                       days=page.max_advance_days)})

    @api.model
    def _find_slot_or_raise(self, page, service, provider, start, exclude_ids=()):
        """The slot at ``start``: 400 when it never was one, 409 when it is taken."""
        Availability = self.env["booking.availability"].sudo()
        slot = Availability._find_slot(page, service, start, provider or None, exclude_ids=exclude_ids)
        if slot:
            return slot
        if Availability._find_slot(page, service, start, provider or None, ignore_busy=True):
            raise self._slot_taken(page, service, provider, start)
        raise BookingInputError({"start": self.env._("is not an available start time for this service")})

    @api.model
    def _slot_taken(self, page, service, provider, start):
        alternatives = self.env["booking.availability"].sudo()._nearest_slots(page, service, start, provider or None)
        return SlotUnavailableError(
            self.env._("This time has just been taken. Please choose another one."), alternatives=alternatives
        )

    @api.model
    def _book(self, page, service, provider, start, customer=None, note=None, source="website", partner=None):
        """Book ``start`` (naive UTC) for a customer, following every rule.

        :param provider: a provider, or an empty recordset for "any available".
        :param dict customer: ``name``, ``email``, ``phone`` of a guest.
        :param partner: the signed-in customer's partner (then ``customer`` is ignored).
        :return: the new appointment (sudo).
        """
        if not partner and not page.allow_guest_booking:
            raise LoginRequiredError(self.env._("Please sign in to book on this page."))
        note = self._clean_text(note, "note")
        self._check_start(page, start)
        slot = self._find_slot_or_raise(page, service, provider, start)
        self._check_customer_free(page, slot, partner=partner, customer=customer)
        Appointment = self.env["booking.appointment"].sudo()
        try:
            with self.env.cr.savepoint():
                partner = partner or self._create_guest_customer(page, customer or {})
                appointment = Appointment.create({
                    "page_id": page.id,
                    "service_id": service.id,
                    "provider_id": slot.provider_id,
                    "partner_id": partner.id,
                    "start": slot.start,
                    "note": note,
                    "source": source,
                    "channel": "online",
                    "state": Appointment._get_initial_state(page, service, source),
                    "customer_exclusive": not page.allow_overlapping_bookings,
                })
        except SlotUnavailableError:
            # taken between our check and the insert: the constraint decided
            raise self._slot_taken(page, service, provider, start) from None
        return appointment

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
        Appointment = self.env["booking.appointment"].sudo()
        domain = [("page_id", "=", page.id), ("state", "in", TIME_HOLDING_STATES),
                  ("start", "<", slot.stop), ("stop", ">", slot.start)]
        if partner:
            clash = Appointment.search([*domain, ("partner_id", "=", partner.id)], limit=1)
            if clash:
                raise Appointment._customer_busy_error(clash)
            return
        customer = customer or {}
        # two identical requests at once (a retried request, a double tap) must see each other
        self.env["booking.serial.lock"].sudo()._serialize(
            "guest", page.id, (customer.get("name") or "").strip().casefold(),
            tools.email_normalize(customer.get("email") or "") or "",
            self._normalize_phone(page, customer["phone"]) or "" if customer.get("phone") else "")
        if self._same_guest(Appointment, [*domain, ("source", "in", ("website", "api"))], page, customer):
            raise Appointment._customer_busy_error()

    @api.model
    def _same_guest(self, Model, domain, page, customer):
        """Records of ``domain`` whose customer is a visitor's contact with exactly these details.

        Name (case aside), e-mail and phone must all match, on a contact made
        from a visitor's input: a visitor sending the same request again,
        never someone borrowing one detail, nor a real customer's bookings.
        """
        name = (customer.get("name") or "").strip()
        email = tools.email_normalize(customer.get("email") or "") or False
        phone = self._normalize_phone(page, customer["phone"]) if customer.get("phone") else False
        if not name or not (email or phone):
            return Model.browse()  # refused as invalid later
        return Model.search([
            *domain, ("partner_id.company_id", "=", page.company_id.id), ("partner_id.booking_unverified", "=", True),
            ("partner_id.email_normalized", "=", email), ("partner_id.phone_sanitized", "=", phone),
        ]).filtered(lambda record: (record.partner_id.name or "").strip().casefold() == name.casefold())

    @api.model
    def _create_guest_customer(self, page, customer):
        """The contact of a visitor's booking, made from what they typed: always a new one.

        Anonymous input never acts as an existing customer (DESIGN.md
        invariant 8): it neither changes nor borrows a contact whose e-mail
        or phone it repeats; the new contact is marked "possibly the same
        as" that customer for staff to merge. Visitors who prove who they
        are (signed in, or a one-time code) book as themselves instead.
        """
        errors = {}
        name = (customer.get("name") or "").strip()
        email = (customer.get("email") or "").strip()
        phone = (customer.get("phone") or "").strip()
        if not name:
            errors["customer.name"] = self.env._("is required")
        email_normalized = tools.email_normalize(email) if email else False
        if email and not email_normalized:
            errors["customer.email"] = self.env._("is not a valid e-mail address")
        phone_e164 = self._normalize_phone(page, phone) if phone else False
        if phone and not phone_e164:
            errors["customer.phone"] = self.env._("is not a valid phone number")
        if not email and not phone:
            errors["customer.email"] = self.env._("an e-mail or a phone number is required")
        if errors:
            raise BookingInputError(errors)
        lang = self.env.lang if self.env.lang in dict(self.env["res.lang"].get_installed()) else False
        return self.env["res.partner"]._booking_create_guest(
            page.company_id, name, email=email or False, phone=phone_e164 or False, lang=lang)

    @api.model
    def _normalize_phone(self, page, phone):
        """``phone`` in E.164, read with the page's country as default, or False."""
        country = page._get_country()
        try:
            return phone_validation.phone_format(
                phone, country.code or None, country.phone_code or None, force_format="E164", raise_exception=True,
            )
        except UserError:
            return False

    # === WAITLIST === #

    @api.model
    def _join_waitlist(self, page, service, provider, day, time_from=None, time_to=None, customer=None, note=None,
                       source="website", partner=None):
        """Put a customer on the waitlist for ``day`` (local), optionally in a window."""
        if not partner and not page.allow_guest_booking:
            raise LoginRequiredError(self.env._("Please sign in to join the waitlist on this page."))
        errors = {}
        if day < page._local_today():
            errors["date"] = self.env._("is in the past")
        elif day > page._last_bookable_date():
            errors["date"] = self.env._("is beyond the booking horizon")
        if time_from is not None and time_from >= 24:
            errors["time_from"] = self.env._("must be before 24:00")
        elif time_to is not None and time_to <= (time_from or 0.0):
            errors["time_to"] = self.env._("must be after time_from") if time_from is not None \
                else self.env._("must be after 00:00")
        if errors:
            raise BookingInputError(errors)
        Waitlist = self.env["booking.waitlist"].sudo()
        domain = [("page_id", "=", page.id), ("service_id", "=", service.id), ("date", "=", day),
                  ("state", "in", ("waiting", "offered"))]
        # joining twice is one entry: the same customer, or the same details typed again
        duplicate = Waitlist.search([*domain, ("partner_id", "=", partner.id)], limit=1) if partner \
            else self._same_guest(Waitlist, domain, page, customer or {})[:1]
        if duplicate:
            return duplicate
        with self.env.cr.savepoint():
            partner = partner or self._create_guest_customer(page, customer or {})
            return Waitlist.create({
                "page_id": page.id,
                "service_id": service.id,
                "provider_id": provider.id or False,
                "partner_id": partner.id,
                "date": day,
                "time_from": time_from or 0.0,
                "time_to": time_to or 0.0,
                "note": self._clean_text(note, "note"),
                "source": source,
            })

    # === PAYLOADS === #

    @api.model
    def _page_payload(self, page):
        services = page._get_bookable_services()
        providers = page._get_bookable_providers() if page.show_providers else self.env["booking.provider"]
        policy = page.cancellation_policy_id
        partner = page.partner_id
        return {
            "page": {
                "id": page.id,
                "slug": page.slug,
                "name": page.name,
                "url": page.website_url,
                "timezone": page.tz,
                "currency": page.currency_id.name,
                "description": html2plaintext(page.description or "").strip() or None,
                "address": page._get_address_text() or None,
                "phone": partner.phone or None,
                "email": partner.email or None,
                "allow_guest_booking": page.allow_guest_booking,
                "show_providers": page.show_providers,
                "min_notice_hours": page.min_notice_hours,
                "max_advance_days": page.max_advance_days,
                "last_bookable_date": page._last_bookable_date().isoformat(),
                "cancellation_policy": "; ".join(policy._get_tier_summary()) if policy else None,
            },
            "services": [self._service_payload(page, service) for service in services],
            "providers": [
                {
                    "id": provider.id,
                    "name": provider.name,
                    "job_title": provider.job_title or None,
                    "bio": html2plaintext(provider.bio or "").strip() or None,
                    "image_url": f"/p/{page.slug}/image/provider/{provider.id}",
                    "service_ids": (provider.service_ids & services).ids,
                }
                for provider in providers
            ],
        }

    @api.model
    def _service_payload(self, page, service):
        providers = page._get_bookable_providers(service)
        return {
            "id": service.id,
            "name": service.name,
            "description": service.description or None,
            "duration_minutes": service.duration_minutes,
            "price": service.price,
            "currency": service.currency_id.name,
            "deposit": {
                "type": service.deposit_type,
                "value": service.deposit_value,
                "amount": service._get_deposit_amount(),
            },
            "requires_approval": bool(service.requires_approval and not page.auto_confirm),
            "provider_ids": providers.ids if page.show_providers else [],
        }

    @api.model
    def _slot_payload(self, slot):
        return {"start": iso_utc(slot.start), "end": iso_utc(slot.stop), "provider_id": slot.provider_id}

    @api.model
    def _booking_payload(self, appointment):
        appointment = appointment.sudo()
        token_query = f"access_token={appointment._portal_ensure_token()}"
        base = f"/p/{appointment.page_id.slug}/booking/{appointment.id}"
        return {
            "id": appointment.id,
            "reference": appointment.name,
            "state": appointment.state,
            "start": iso_utc(appointment.start),
            "end": iso_utc(appointment.stop),
            "service_id": appointment.service_id.id,
            "provider_id": appointment.provider_id.id,
            "manage_url": appointment.get_portal_url(),
            "confirmation_url": f"{base}?{token_query}",
            "ics_url": f"{base}/ics?{token_query}",
            # the confirmation page carries the deposit's payment form while one is due
            "payment_url": f"{base}?{token_query}" if appointment.state == "pending_payment" else None,
        }

    @api.model
    def _local_datetime(self, page, value):
        return pytz.utc.localize(value).astimezone(pytz.timezone(page.tz))

    # === CUSTOMER SELF-SERVICE === #
    # The portal pages and the /me API call these and nothing else, so the
    # same booking gets the same answers whichever way the customer comes.

    @api.model
    def _customer_domain(self, partner, company=None, filterby=None):
        """The customer's bookings; ``filterby``: upcoming, past, cancelled or None."""
        domain = [("partner_id", "=", partner.id)]
        if company:
            domain.append(("company_id", "=", company.id))
        now = fields.Datetime.now()
        if filterby == "upcoming":
            domain += [("stop", ">=", now), ("state", "in", ("pending_payment", "pending", "confirmed", "checked_in"))]
        elif filterby == "past":
            domain += ["|", ("state", "in", ("done", "no_show")),
                       "&", ("stop", "<", now), ("state", "in", ("confirmed", "checked_in"))]
        elif filterby == "cancelled":
            domain += [("state", "in", ("cancelled", "rejected", "expired"))]
        return domain

    @api.model
    def _cancel_preview(self, appointment):
        """Whether the customer may cancel now, and what they would get back."""
        appointment = appointment.sudo()
        now = fields.Datetime.now()
        policy = appointment.page_id.cancellation_policy_id
        deadline = appointment.start - timedelta(hours=policy.cancel_limit_hours if policy else 0.0)
        contract = appointment.contract_id
        notice = (appointment.start - now).total_seconds() / 3600.0
        refund, percent = contract._get_cancellation_refund("customer", notice) if contract else (0.0, 100.0)
        preview = {
            "allowed": True,
            "code": None,
            "reason": None,
            "deadline": deadline,
            "refund_amount": refund,
            "refund_percent": percent,
            "paid": contract.amount_net if contract else 0.0,
            "currency": (contract.currency_id if contract else appointment.currency_id),
        }
        if appointment.state not in ("pending_payment", "pending", "confirmed"):
            preview.update(allowed=False, code="invalid_state", reason=self.env._(
                "This booking is %(state)s: it can no longer be cancelled.", state=appointment._state_label()))
        elif now >= deadline:
            preview.update(allowed=False, code="policy_limit", reason=self.env._(
                "Online cancellation closed at %(deadline)s. Please contact %(page)s.",
                deadline=appointment._format_local(deadline), page=appointment.page_id.name))
        return preview

    @api.model
    def _customer_cancel(self, appointment, reason=None):
        """Cancel for the customer, under the policy; the refund follows the preview."""
        preview = self._cancel_preview(appointment)
        if not preview["allowed"]:
            raise BookingActionRefused(preview["code"], preview["reason"])
        with self.env.cr.savepoint():
            appointment.sudo().action_cancel(reason=self._clean_text(reason, "reason", 500) or None,
                                             cancelled_by="customer")
        return appointment

    @api.model
    def _reschedule_check(self, appointment):
        """``(allowed, code, reason, deadline)`` for moving this booking now."""
        appointment = appointment.sudo()
        now = fields.Datetime.now()
        policy = appointment.page_id.cancellation_policy_id
        deadline = appointment.start - timedelta(hours=policy.reschedule_limit_hours if policy else 0.0)
        if appointment.state not in ("pending", "confirmed"):
            return False, "invalid_state", self.env._(
                "This booking is %(state)s: it cannot be moved.", state=appointment._state_label()), deadline
        if now >= deadline:
            return False, "policy_limit", self.env._(
                "Online changes closed at %(deadline)s. Please contact %(page)s.",
                deadline=appointment._format_local(deadline), page=appointment.page_id.name), deadline
        return True, None, None, deadline

    @api.model
    def _reschedule_slots(self, appointment, date_from, date_to, any_provider=False):
        """Free slots to move to: same service, same provider unless "any", own time counts as free."""
        appointment = appointment.sudo()
        page = appointment.page_id
        last = page._last_bookable_date()
        date_to = min(date_to, last)
        if date_to < date_from:
            return []
        return self.env["booking.availability"].sudo()._get_slots(
            page, appointment.service_id, date_from, date_to,
            providers=None if any_provider else appointment.provider_id,
            exclude_ids=appointment.ids,
        )

    @api.model
    def _customer_reschedule(self, appointment, start, any_provider=False):
        """Move the booking to ``start`` (naive UTC) in one step.

        One UPDATE of the same row: the original time is held until the new
        one is secured, so losing a race for the new slot leaves the booking
        exactly as it was. The deposit and everything paid stay with it.
        """
        appointment = appointment.sudo()
        allowed, code, reason, _deadline = self._reschedule_check(appointment)
        if not allowed:
            raise BookingActionRefused(code, reason)
        page = appointment.page_id
        self._check_start(page, start)
        Availability = self.env["booking.availability"].sudo()
        provider = self.env["booking.provider"] if any_provider else appointment.provider_id
        slot = Availability._find_slot(page, appointment.service_id, start, provider or None,
                                       exclude_ids=appointment.ids)
        if not slot:
            if Availability._find_slot(page, appointment.service_id, start, provider or None, ignore_busy=True):
                raise self._slot_taken(page, appointment.service_id, provider, start)
            raise BookingInputError({"start": self.env._("is not an available start time for this service")})
        if slot.start == appointment.start and slot.provider_id == appointment.provider_id.id:
            return appointment
        try:
            with self.env.cr.savepoint():
                appointment.with_context(booking_moved_by="customer").write(
                    {"start": slot.start, "provider_id": slot.provider_id})
        except SlotUnavailableError:
            raise self._slot_taken(page, appointment.service_id, provider, start) from None
        return appointment

    @api.model
    def _booking_summary(self, appointment):
        """One booking as the customer sees it, in the portal and through the API."""
        appointment = appointment.sudo()
        contract = appointment.contract_id
        cancel = self._cancel_preview(appointment)
        can_move, _code, move_reason, move_deadline = self._reschedule_check(appointment)
        currency = contract.currency_id if contract else appointment.currency_id
        return {
            "id": appointment.id,
            "reference": appointment.name,
            "state": appointment.state,
            "page": appointment.page_id.slug,
            "service": {"id": appointment.service_id.id, "name": appointment.service_id.name},
            "provider": {"id": appointment.provider_id.id, "name": appointment.provider_id.name},
            "start": iso_utc(appointment.start),
            "end": iso_utc(appointment.stop),
            "timezone": appointment.page_id.tz,
            "address": appointment.page_id._get_address_text() or None,
            "price": appointment.price,
            "currency": currency.name,
            "paid": contract.amount_net if contract else 0.0,
            "refunded": contract.amount_refunded if contract else 0.0,
            "balance_due": contract.amount_balance_due if contract else 0.0,
            "cancel": {
                "allowed": cancel["allowed"],
                "reason": cancel["reason"],
                "deadline": iso_utc(cancel["deadline"]),
                "refund_amount": cancel["refund_amount"] if cancel["allowed"] else 0.0,
                "refund_percent": cancel["refund_percent"],
            },
            "reschedule": {"allowed": can_move, "reason": move_reason, "deadline": iso_utc(move_deadline)},
            "manage_url": appointment.get_portal_url(),
        }

    # === CHECK-IN === #

    @api.model
    def _check_in_by_link(self, appointment, signature, user, act=True):
        """Check in from the QR code's link: ``(result code, appointment)``.

        Result codes: ``checked_in``, ``ready`` (it would, with ``act`` False),
        ``already`` (idempotent), ``busy`` (another tap holds the booking),
        ``too_early``, ``ended``, ``invalid_state`` and ``invalid`` (forged or
        foreign link); only ``checked_in`` changes anything. Staff signed in
        check the customer in whenever the booking is confirmed.
        """
        appointment = appointment.sudo().exists()
        if not appointment or not appointment._check_in_signature_ok(signature):
            return "invalid", self.env["booking.appointment"]
        if act and not appointment._try_lock():
            return "busy", appointment
        if appointment.state in ("checked_in", "done"):
            return "already", appointment
        if appointment.state != "confirmed":
            return "invalid_state", appointment
        now = fields.Datetime.now()
        staff = user.has_group("self_serve_booking.group_booking_user") and \
            appointment.company_id in user.company_ids
        if not staff:
            if now < appointment._check_in_opens_at():
                return "too_early", appointment
            if now >= appointment.stop:
                return "ended", appointment
        if not act:
            return "ready", appointment
        appointment.with_user(user if staff else self.env.user).sudo().action_check_in(
            method="staff" if staff else "qr")
        return "checked_in", appointment
