import json
import re

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..booking_api.schemas import API_PREFIX
from ..const import URL_ID as ID
from ..exceptions import BookingInputError
from ..tools import safe_consteq
from .portal import BookingPortal


class BookingPageController(BookingPortal):
    """The public booking page ``/p/<slug>`` and the pages around a booking.

    On the portal's controller, as ``website_sale`` is on ``PaymentPortal``:
    the confirmation page takes the deposit with the same payment values.
    """

    def sitemap_booking_pages(env, rule, qs):
        website = env["website"].get_current_website()
        domain = [("is_published", "=", True), "|", ("website_id", "=", website.id),
                  "&", ("website_id", "=", False), ("company_id", "=", website.company_id.id)]
        for page in env["booking.page"].sudo().search(domain):
            loc = f"/p/{page.slug}"
            if not qs or qs.lower() in loc:
                yield {"loc": loc}

    # === HELPERS === #

    def _booking_get_page(self, slug):
        # the page's managers also see it unpublished, and book on it (a test booking)
        preview = request.env.user.has_group("self_serve_booking.group_booking_manager")
        page = request.env["booking.page"]._get_served_page(slug, request.website, preview=preview)
        if not page:
            raise NotFound()
        return page

    def _booking_get_booking(self, page, appointment_id, access_token):
        """The appointment, if the token (or the signed-in customer or staff) may see it."""
        appointment = request.env["booking.appointment"].sudo().browse(appointment_id).exists()
        if not appointment or appointment.page_id != page:
            raise NotFound()
        user = request.env.user
        allowed = (
            (access_token and appointment.access_token and safe_consteq(appointment.access_token, access_token))
            or (not user._is_public() and appointment.partner_id == user.partner_id)
            # staff see their own companies' bookings, nothing of another merchant
            or appointment._is_staff(user)
        )
        if not allowed:
            raise NotFound()
        return appointment._ensure_complete()

    def _booking_widget_props(self, page, service_id=None):
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
            "timezoneLabel": page._tz_label(),
            "phoneExample": page._phone_example(),
            "approvalHours": page.approval_expiry_hours if not page.auto_confirm else 0,
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
            **self._booking_widget_dependant_props(page, service_id),
        }

    def _booking_widget_dependant_props(self, page, service_id=None):
        """The signed-in customer's dependants, and what a "Book again" link preselects.

        ``?provider=`` counts when that provider delivers the chosen service
        on this page; ``?dependant=`` (ids, comma-separated) keeps only the
        signed-in customer's own active dependants: anyone else's id, or any
        id for a guest, is ignored.
        """
        user = request.env.user
        dependants = request.env["booking.dependant"]
        if not user._is_public():
            dependants = dependants.sudo().search([("partner_id", "=", user.partner_id.id)])
        provider_id = 0
        raw_provider = str(request.params.get("provider") or "")
        if service_id and re.fullmatch(r"[0-9]{1,9}", raw_provider):
            service = request.env["booking.service"].sudo().browse(service_id)
            if int(raw_provider) in page._get_bookable_providers(service).ids:
                provider_id = int(raw_provider)
        wanted = {int(part) for part in str(request.params.get("dependant") or "").split(",")[:10]
                  if re.fullmatch(r"[0-9]{1,9}", part.strip())}
        return {
            "dependants": [{"id": dependant.id, "name": dependant.name, "kind": dependant.kind}
                           for dependant in dependants],
            "providerId": provider_id,
            "dependantIds": [dependant.id for dependant in dependants if dependant.id in wanted],
        }

    # === ROUTES === #

    @http.route("/p/<string:slug>", type="http", auth="public", website=True, sitemap=sitemap_booking_pages,
                readonly=True)
    def booking_page(self, slug, service=None, **kwargs):
        page = self._booking_get_page(slug)
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
            "widget_props": json.dumps(self._booking_widget_props(page, service_id)),
        })

    @http.route(f"/p/<string:slug>/booking/<{ID}:appointment_id>", type="http", auth="public", website=True,
                sitemap=False)
    def booking_confirmation(self, slug, appointment_id, access_token=None, **kwargs):
        page = self._booking_get_page(slug)
        appointment = self._booking_get_booking(page, appointment_id, access_token)
        contract = appointment.contract_id
        payment = None
        due = contract._get_amount_due("deposit") if contract else 0.0
        if contract and contract.currency_id.compare_amounts(due, 0.0) > 0:
            payment = self._booking_get_payment_values(appointment, "deposit", due,
                                                       appointment._get_confirmation_url())
        calendar = appointment._calendar_links() if appointment.state in ("pending", "confirmed") else {}
        return request.render("self_serve_booking.booking_confirmation", {
            "page": page,
            "appointment": appointment,
            "contract": contract,
            "money": contract._get_money_summary() if contract else None,
            "receipt": None,
            "payment": payment,
            "calendar": calendar,
            "ics_url": appointment._get_confirmation_url("/ics"),
            "manage_url": appointment.get_portal_url(),
            "show_signup": request.env.user._is_public() and appointment._can_invite_to_account(),
            "message": self._booking_pop_flash(appointment.id),
        })

    @http.route(f"/p/<string:slug>/booking/<{ID}:appointment_id>/invite", type="http", auth="public", website=True,
                methods=["POST"], sitemap=False)
    def booking_invite(self, slug, appointment_id, access_token=None, **kwargs):
        """Registration invite: e-mail the customer a link to set a password (see ``_invite_to_account``)."""
        page = self._booking_get_page(slug)
        appointment = self._booking_get_booking(page, appointment_id, access_token)
        return self._booking_redirect(appointment, appointment.sudo()._invite_to_account(),
                                      url=appointment._get_confirmation_url())

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
        result, appointment = request.env["booking.appointment"].sudo().browse(appointment_id)._check_in_by_link(
            signature, request.env.user, act=request.httprequest.method == "POST")
        # the provider's own link (a job at the customer's place): same page, the provider's words
        provider_link = bool(appointment) and appointment._provider_check_in_signature_ok(signature)
        response = request.render("self_serve_booking.booking_check_in_result", {
            "result": result,
            "appointment": appointment,
            "page": appointment.page_id,
            "opens_at": (appointment._provider_check_in_opens_at() if provider_link
                         else appointment._check_in_opens_at()) if appointment else False,
            "staff": bool(appointment) and appointment._is_staff(request.env.user),
            "provider_link": provider_link,
        })
        response.status_code = {"invalid": 403, "busy": 409}.get(result, 200)
        return response

    @http.route(f"/p/<string:slug>/booking/<{ID}:appointment_id>/ics", type="http", auth="public", website=True,
                sitemap=False)
    def booking_ics(self, slug, appointment_id, access_token=None, **kwargs):
        page = self._booking_get_page(slug)
        appointment = self._booking_get_booking(page, appointment_id, access_token)
        return request.make_response(appointment._get_ics_file(), headers=[
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Disposition", f'attachment; filename="{appointment.name}.ics"'),
        ])

    @http.route(f"/p/<string:slug>/image/<string:kind>/<{ID}:record_id>", type="http", auth="public", website=True,
                sitemap=False, readonly=True)
    def booking_image(self, slug, kind, record_id, **kwargs):
        page = self._booking_get_page(slug)
        if kind == "provider":
            # the avatar: the photo, or the provider's initials on their colour
            record, field = page._get_bookable_providers().filtered(lambda p: p.id == record_id), "avatar_256"
        elif kind == "service":
            record, field = page._get_bookable_services().filtered(lambda s: s.id == record_id), "image_256"
        elif kind == "page":
            # the picture of a shared link (Open Graph): large enough for the previews of social networks
            record, field = page.filtered(lambda p: p.id == record_id and p.image_1920), "image_1024"
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
                    return request.redirect(hold._get_confirmation_url())
        response = request.render("self_serve_booking.booking_waitlist_offer_page", {
            "status": status,
            "entry": entry if status != "invalid" else entry.browse(),
            "appointment": hold if status != "invalid" else hold.browse(),
            "page": entry.page_id if status != "invalid" else entry.page_id.browse(),
            "booking_url": hold._get_confirmation_url() if status == "booked" else "",
        })
        response.status_code = {"invalid": 403, "lapsed": 410, "busy": 409}.get(status, 200)
        return response

    # === REVIEWS === #
    # The review request's signed link: it grants the review of one booking
    # (its signature covers the booking and its customer), needs no sign-in
    # and takes one answer. Opening it changes nothing (mail scanners open
    # links); the form's button sends the answer. csrf=False as above: the
    # signature is the authority.

    @http.route(f"/p/<string:slug>/review/<{ID}:appointment_id>/<string:signature>", type="http", auth="public",
                website=True, methods=["GET", "POST"], csrf=False, sitemap=False)
    def booking_review(self, slug, appointment_id, signature, stars=None, comment=None, **kwargs):
        page = request.env["booking.page"]._get_served_page(slug, request.website)
        appointment = request.env["booking.appointment"].sudo().browse(appointment_id).exists()
        if not page or not appointment or appointment.page_id != page:
            status = "invalid"
        else:
            status = appointment._check_review_link(signature)
        errors = {}
        if status == "open" and request.httprequest.method == "POST":
            try:
                status = appointment._submit_review(signature, stars, comment)
            except BookingInputError as error:
                errors = error.fields
        chosen = int(stars) if isinstance(stars, str) and stars in ("1", "2", "3", "4", "5") else 0
        valid = status != "invalid"
        response = request.render("self_serve_booking.booking_review_page", {
            "status": status,
            "appointment": appointment if valid else request.env["booking.appointment"],
            "page": page if valid else request.env["booking.page"],
            "stars": chosen,
            "comment": comment if errors and isinstance(comment, str) else "",
            "errors": errors,
        })
        response.status_code = 400 if errors else {"invalid": 404, "answered": 409, "busy": 409}.get(status, 200)
        return response

