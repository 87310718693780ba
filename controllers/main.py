import json
import re
from datetime import UTC, datetime

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import consteq

from odoo.addons.auth_signup.models.res_partner import SignupError

from ..booking_api.schema import API_PREFIX
from ..booking_api.schema import URL_ID as ID
from .portal import booking_amount_due
from .portal import booking_payment_form_values


def _ics_escape(value):
    return (value or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line):
    """Fold a content line at 75 octets, as RFC 5545 asks."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, chunk = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > (75 if not parts else 74):
            parts.append(chunk.decode("utf-8"))
            chunk = b""
        chunk += encoded
    parts.append(chunk.decode("utf-8"))
    return "\r\n ".join(parts)


class BookingPageController(http.Controller):
    """The public booking page ``/p/<slug>`` and the pages around a booking."""

    def sitemap_booking_pages(env, rule, qs):
        website = env["website"].get_current_website()
        domain = [("is_published", "=", True), ("website_id", "in", (False, website.id))]
        for page in env["booking.page"].sudo().search(domain):
            loc = f"/p/{page.slug}"
            if not qs or qs.lower() in loc:
                yield {"loc": loc}

    # === HELPERS === #

    def _get_page(self, slug):
        preview = request.env.user.has_group("self_serve_booking.group_booking_manager")
        page = request.env["booking.frontdesk"]._get_page(slug, request.website, preview=preview)
        if not page:
            raise NotFound()
        return page

    def _get_booking(self, page, appointment_id, access_token):
        """The appointment, if the token (or the signed-in customer or staff) may see it."""
        appointment = request.env["booking.appointment"].sudo().browse(appointment_id).exists()
        if not appointment or appointment.page_id != page:
            raise NotFound()
        user = request.env.user
        allowed = (
            (access_token and appointment.access_token and consteq(appointment.access_token, str(access_token)))
            or (not user._is_public() and appointment.partner_id == user.partner_id)
            # staff see their own companies' bookings, nothing of another merchant
            or (user.has_group("self_serve_booking.group_booking_user") and appointment.company_id in user.company_ids)
        )
        if not allowed:
            raise NotFound()
        return appointment

    def _widget_props(self, page, service_id=None):
        user = request.env.user
        customer = None
        if not user._is_public():
            partner = user.partner_id
            customer = {"name": partner.name or "", "email": partner.email or "", "phone": partner.phone or ""}
        redirect = f"/p/{page.slug}"
        currency = page.currency_id
        signup_enabled = request.env["res.users"].sudo()._get_signup_invitation_scope() == "b2c"
        return {
            "slug": page.slug,
            "pageId": page.id,
            "pageName": page.name,
            "apiBase": API_PREFIX,
            "timezone": page.tz,
            "showProviders": page.show_providers,
            "allowGuest": page.allow_guest_booking,
            "lastBookableDate": page._last_bookable_date().isoformat(),
            "today": page._local_today().isoformat(),
            "serviceId": service_id or 0,
            "customer": customer,
            "loginUrl": f"/web/login?redirect={redirect}",
            "signupUrl": f"/web/signup?redirect={redirect}" if signup_enabled else "",
            "currency": {"symbol": currency.symbol, "position": currency.position,
                         "digits": currency.decimal_places},
            "lang": request.env.lang or "en_US",
        }

    # === ROUTES === #

    @http.route("/p/<string:slug>", type="http", auth="public", website=True, sitemap=sitemap_booking_pages,
                readonly=True)
    def booking_page(self, slug, service=None, **kwargs):
        page = self._get_page(slug)
        frontdesk = request.env["booking.frontdesk"]
        services = page._get_bookable_services()
        service_id = int(service) if service and re.fullmatch(r"[0-9]{1,9}", str(service)) else None
        if service_id not in services.ids:
            service_id = None
        return request.render("self_serve_booking.booking_page", {
            "page": page,
            "main_object": page,
            "services": services,
            "providers": page._get_bookable_providers() if page.show_providers else page.provider_ids.browse(),
            "opening_hours": page._get_opening_hours(),
            "policy_lines": page.cancellation_policy_id._get_tier_summary() if page.cancellation_policy_id else [],
            "deposits": {service.id: service._get_deposit_amount() for service in services},
            "widget_props": json.dumps(self._widget_props(page, service_id)),
            "frontdesk": frontdesk,
        })

    @http.route(f"/p/<string:slug>/booking/<{ID}:appointment_id>", type="http", auth="public", website=True,
                sitemap=False)
    def booking_confirmation(self, slug, appointment_id, access_token=None, **kwargs):
        page = self._get_page(slug)
        appointment = self._get_booking(page, appointment_id, access_token)
        token = appointment._portal_ensure_token()
        confirmation_url = f"/p/{page.slug}/booking/{appointment.id}?access_token={token}"
        payment_values = {}
        contract = appointment.contract_id
        if contract and appointment.state == "pending_payment":
            due = booking_amount_due(contract, "deposit")
            if contract.currency_id.compare_amounts(due, 0.0) > 0:
                payment_values = {
                    "contract": contract,
                    "show_receipt": False,
                    "payment": booking_payment_form_values(appointment, "deposit", due, confirmation_url),
                }
        return request.render("self_serve_booking.booking_confirmation", {
            **payment_values,
            "page": page,
            "appointment": appointment,
            "local_start": appointment._local_start(),
            "ics_url": f"/p/{page.slug}/booking/{appointment.id}/ics?access_token={token}",
            "manage_url": appointment.get_portal_url(),
            "show_signup": request.env.user._is_public() and appointment.partner_id.email
            and not appointment.partner_id.user_ids,
            "message": kwargs.get("message"),
        })

    @http.route(f"/p/<string:slug>/booking/<{ID}:appointment_id>/invite", type="http", auth="public", website=True,
                methods=["POST"], sitemap=False)
    def booking_invite(self, slug, appointment_id, access_token=None, **kwargs):
        """Registration invite: e-mail the customer a link to set a password.

        The account is created for the booking's partner, so the next booking
        is pre-filled and the history is in the portal. The link goes to the
        partner's e-mail address only: whoever holds the confirmation page
        cannot take over an account for an address they do not own.
        """
        page = self._get_page(slug)
        appointment = self._get_booking(page, appointment_id, access_token)
        partner = appointment.partner_id.sudo()
        url = f"/p/{page.slug}/booking/{appointment.id}?access_token={appointment._portal_ensure_token()}"
        env = request.env
        allowed, _retry = env["booking.rate.limit"].sudo()._hit(f"invite:{partner.id}", 3, 60)
        if partner.user_ids:
            message = env._("You already have an account: sign in to see your bookings.")
        elif not partner.email or not allowed:
            message = env._("We could not send an invitation. Please try again later.")
        else:
            try:
                user = env["res.users"].sudo().with_context(no_reset_password=True)._create_user_from_template({
                    "login": partner.email_normalized or partner.email,
                    "email": partner.email,
                    "partner_id": partner.id,
                })
            except SignupError:
                message = env._("An account already uses this e-mail address: sign in with it.")
            else:
                user.partner_id.signup_prepare(signup_type="signup")
                template = env.ref("auth_signup.set_password_email")
                template.sudo().send_mail(user.id, force_send=False, email_values={
                    "email_to": user.email, "email_cc": False, "recipient_ids": [], "partner_ids": [],
                })
                message = env._("Check your inbox: we sent %(email)s a link to choose your password.",
                                email=partner.email)
        separator = "&" if "?" in url else "?"
        return request.redirect(f"{url}{separator}{url_encode({'message': message})}")

    @http.route(f"/booking/check-in/<{ID}:appointment_id>/<string:signature>", type="http", auth="public",
                website=True, methods=["GET", "POST"], csrf=False, sitemap=False)
    def booking_check_in(self, appointment_id, signature, **kwargs):
        """The QR code's link: shows the booking and a "Check in" button, which checks in, once.

        Opening the link changes nothing, since the link also travels in
        e-mails and SMS whose scanners and previews open it; the signature is
        the authority (csrf=False, as for the e-mail answers below). Forged
        or foreign links, and links used too early or too late, explain and
        change nothing; staff signed in check the customer in at any time.
        """
        appointment = request.env["booking.appointment"].sudo().browse(appointment_id)
        result, appointment = request.env["booking.frontdesk"]._check_in_by_link(
            appointment, signature, request.env.user, act=request.httprequest.method == "POST")
        response = request.render("self_serve_booking.booking_check_in_result", {
            "result": result,
            "appointment": appointment,
            "page": appointment.page_id,
            "opens_at": appointment._check_in_opens_at() if appointment else False,
            "staff": request.env.user.has_group("self_serve_booking.group_booking_user")
            and appointment.company_id in request.env.user.company_ids,
        })
        response.status_code = {"invalid": 403, "busy": 409}.get(result, 200)
        return response

    @http.route(f"/p/<string:slug>/booking/<{ID}:appointment_id>/ics", type="http", auth="public", website=True,
                sitemap=False)
    def booking_ics(self, slug, appointment_id, access_token=None, **kwargs):
        page = self._get_page(slug)
        appointment = self._get_booking(page, appointment_id, access_token)
        base_url = page.get_base_url()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Self-Serve Booking//Odoo 18//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            f"UID:booking-{appointment.id}-{appointment.name}@{request.httprequest.host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{appointment.start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{appointment.stop:%Y%m%dT%H%M%SZ}",
            "SUMMARY:" + _ics_escape(f"{appointment.service_id.name} · {page.name}"),
            "LOCATION:" + _ics_escape(page._get_address_text()),
            "DESCRIPTION:" + _ics_escape(
                f"{appointment.service_id.name} with {appointment.provider_id.name}\n"
                f"Reference: {appointment.name}\n"
                f"Manage your booking: {base_url}{appointment.get_portal_url()}"
            ),
            f"URL:{base_url}{appointment.get_portal_url()}",
            "STATUS:" + ("TENTATIVE" if appointment.state in ("pending", "pending_payment") else "CONFIRMED"),
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        body = "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"
        return request.make_response(body, headers=[
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Disposition", f'attachment; filename="{appointment.name}.ics"'),
        ])

    @http.route(f"/p/<string:slug>/image/<string:kind>/<{ID}:record_id>", type="http", auth="public", website=True,
                sitemap=False, readonly=True)
    def booking_image(self, slug, kind, record_id, **kwargs):
        page = self._get_page(slug)
        if kind == "provider":
            # the avatar: the photo, or the provider's initials on their colour
            record, field = page._get_bookable_providers().filtered(lambda p: p.id == record_id), "avatar_256"
        elif kind == "service":
            record, field = page._get_bookable_services().filtered(lambda s: s.id == record_id), "image_256"
        else:
            raise NotFound()
        if not record:
            raise NotFound()
        stream = request.env["ir.binary"]._get_image_stream_from(
            record, field, placeholder="web/static/img/placeholder.png"
        )
        return stream.get_response(max_age=3600)

    @http.route(f"/booking/check-in/<{ID}:appointment_id>/<string:signature>/qr.png", type="http", auth="public",
                sitemap=False, readonly=True)
    def booking_check_in_qr(self, appointment_id, signature, **kwargs):
        """The check-in QR code as an image, for e-mails (which do not show inline images)."""
        appointment = request.env["booking.appointment"].sudo().browse(appointment_id).exists()
        if not appointment or not appointment._check_in_signature_ok(signature):
            raise NotFound()
        return request.make_response(appointment._check_in_qr_png(), headers=[
            ("Content-Type", "image/png"), ("Cache-Control", "private, max-age=86400")])

    # === ONE-TAP ANSWERS FROM E-MAILS === #
    # These links carry their own signed authority, so they work without
    # signing in; a CSRF token would add nothing (csrf=False). Opening a link
    # never changes anything, because mail scanners open links too: the
    # page shows what the button will do, and the button does it.

    @http.route(f"/booking/approval/<{ID}:appointment_id>/<string:action>/<string:expires>/<string:signature>",
                type="http", auth="public", website=True, methods=["GET", "POST"], csrf=False, sitemap=False)
    def booking_approval(self, appointment_id, action, expires, signature, reason=None, **kwargs):
        """Approve or decline a request from the merchant's e-mail: valid once, until the request expires."""
        appointment = request.env["booking.appointment"].sudo().browse(appointment_id).exists()
        status = appointment._check_approval_link(action, expires, signature) if appointment else "invalid"
        if status == "ok" and request.httprequest.method == "POST":
            if not appointment._try_lock():
                status = "busy"
            else:
                status = appointment._check_approval_link(action, expires, signature)
                if status == "ok":
                    appointment._answer_by_link(action, reason)
                    status = "approved" if action == "confirm" else "declined"
        response = request.render("self_serve_booking.booking_approval_page", {
            "status": status,
            "action": action,
            "appointment": appointment if status != "invalid" else appointment.browse(),
            "page": appointment.page_id if status != "invalid" else appointment.page_id.browse(),
        })
        response.status_code = {"invalid": 403, "expired": 410, "already": 409, "busy": 409}.get(status, 200)
        return response

    @http.route(f"/booking/waitlist/<{ID}:entry_id>/<{ID}:appointment_id>/<string:signature>", type="http",
                auth="public", website=True, methods=["GET", "POST"], csrf=False, sitemap=False)
    def booking_waitlist_offer(self, entry_id, appointment_id, signature, answer=None, **kwargs):
        """A waitlist offer: see it, accept it (book, paying the deposit if any) or decline it."""
        entry = request.env["booking.waitlist"].sudo().browse(entry_id).exists()
        status, hold = entry._check_offer_link(appointment_id, signature) if entry else (
            "invalid", request.env["booking.appointment"])
        if status == "open" and request.httprequest.method == "POST" and answer in ("accept", "decline"):
            if not (entry._try_lock() and hold._try_lock()):
                status = "busy"
            else:
                entry.invalidate_recordset()
                status, hold = entry._check_offer_link(appointment_id, signature)
            if status == "open" and answer == "decline":
                entry.action_decline_offer()
                status = "declined"
            elif status == "open":
                try:
                    hold = entry.action_accept_offer()
                except UserError:
                    status = "lapsed"
                else:
                    token = hold._portal_ensure_token()
                    return request.redirect(f"/p/{hold.page_id.slug}/booking/{hold.id}?access_token={token}")
        response = request.render("self_serve_booking.booking_waitlist_offer_page", {
            "status": status,
            "entry": entry if status != "invalid" else entry.browse(),
            "appointment": hold if status != "invalid" else hold.browse(),
            "page": entry.page_id if status != "invalid" else entry.page_id.browse(),
            "booking_url": f"/p/{hold.page_id.slug}/booking/{hold.id}?access_token={hold._portal_ensure_token()}"
            if status == "booked" else "",
        })
        response.status_code = {"invalid": 403, "lapsed": 410, "busy": 409}.get(status, 200)
        return response
