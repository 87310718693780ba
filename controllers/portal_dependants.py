from datetime import date

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..booking_api.validator import parse_decimal
from ..const import URL_ID as ID
from ..models.booking_dependant import DEPENDANT_KINDS
from ..tools import text_error

TEXT_LIMITS = {"name": 80, "species": 60, "breed": 60, "medical_notes": 2000}


class BookingDependantPortal(CustomerPortal):
    """"My pets & family": the customer's dependants in the portal (list, add, edit, archive) and each
    one's visit records.

    Every route works in the signed-in customer's own environment (the
    record rules apply) and looks a dependant up among theirs only: another
    customer's id is a 404, like an id that does not exist.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "booking_dependant_count" in counters:
            Dependant = request.env["booking.dependant"]
            values["booking_dependant_count"] = Dependant.search_count(
                [("partner_id", "=", request.env.user.partner_id.id)]) if Dependant.has_access("read") else 0
        return values

    # === HELPERS === #

    def _booking_dependant_or_404(self, dependant_id):
        """One of the signed-in customer's dependants (archived ones too), or a 404."""
        Dependant = request.env["booking.dependant"].with_context(active_test=False)
        try:
            dependant = Dependant.search([("id", "=", dependant_id),
                                          ("partner_id", "=", request.env.user.partner_id.id)])
        except AccessError:
            raise NotFound() from None
        if not dependant:
            raise NotFound()
        return dependant

    def _booking_dependant_values(self, form):
        """The fields of the form, checked: ``(values, errors)`` (errors by field, in the customer's words)."""
        errors, values = {}, {}
        for field, limit in TEXT_LIMITS.items():
            text = form.get(field)
            text = text.strip() if isinstance(text, str) else ""
            if len(text) > limit:
                errors[field] = request.env._("is too long (at most %(count)s characters)", count=limit)
            elif text_error(text):
                errors[field] = request.env._("must not contain control characters")
                text = ""
            if field != "medical_notes":
                text = " ".join(text.split())
            values[field] = text or False
        if not values["name"]:
            errors["name"] = request.env._("is required")
        kind = form.get("kind")
        if kind not in dict(DEPENDANT_KINDS):
            errors["kind"] = request.env._("choose pet, child or other")
        values["kind"] = kind
        birth_date = (form.get("birth_date") or "").strip()
        values["birth_date"] = False
        if birth_date:
            try:
                values["birth_date"] = date.fromisoformat(birth_date)
            except ValueError:
                errors["birth_date"] = request.env._("is not a date")
            else:
                if values["birth_date"] > fields.Date.context_today(request.env.user) or \
                        values["birth_date"].year < 1900:
                    errors["birth_date"] = request.env._("is not a plausible birth date")
        weight = (form.get("weight") or "").strip().replace(",", ".")
        values["weight"] = 0.0
        if weight:
            number = parse_decimal(weight)  # ASCII digits only: "٥" is no weight a form means
            if number is None:
                errors["weight"] = request.env._("is not a number")
            elif not 0 <= number <= 5000:
                errors["weight"] = request.env._("must lie between 0 and 5,000 kg")
            else:
                values["weight"] = number
        if values["kind"] != "pet":
            values.update(species=False, breed=False, weight=0.0)
        return values, errors

    def _booking_render_dependant_form(self, dependant, form=None, errors=None, status=200):
        values = self._prepare_portal_layout_values()
        visits = dependant._get_visits(limit=50).sudo() if dependant else request.env["booking.appointment"]
        values.update({
            "page_name": "booking_dependant",
            "dependant": dependant,
            "form": form or {},
            "errors": errors or {},
            "kinds": DEPENDANT_KINDS,
            "visits": visits,
        })
        return request.render("self_serve_booking.portal_my_dependant", values, status=status)

    # === ROUTES === #

    @http.route("/my/dependants", type="http", auth="user", website=True)
    def portal_my_dependants(self, archived=None, **kwargs):
        Dependant = request.env["booking.dependant"].with_context(active_test=False)
        show_archived = archived == "1"
        domain = [("partner_id", "=", request.env.user.partner_id.id), ("active", "=", not show_archived)]
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "booking_dependant",
            "dependants": Dependant.search(domain),
            "show_archived": show_archived,
        })
        return request.render("self_serve_booking.portal_my_dependants", values)

    @http.route("/my/dependants/new", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_dependant_new(self, **form):
        if request.httprequest.method != "POST":
            return self._booking_render_dependant_form(request.env["booking.dependant"], form={"kind": "pet"})
        values, errors = self._booking_dependant_values(form)
        if errors:
            return self._booking_render_dependant_form(request.env["booking.dependant"], form, errors, status=400)
        values["partner_id"] = request.env.user.partner_id.id
        try:
            dependant = request.env["booking.dependant"].create(values)
        except ValidationError as error:
            return self._booking_render_dependant_form(
                request.env["booking.dependant"], form, {"name": str(error.args[0])}, status=400)
        return request.redirect(f"/my/dependants/{dependant.id}")

    @http.route(f"/my/dependants/<{ID}:dependant_id>", type="http", auth="user", website=True,
                methods=["GET", "POST"])
    def portal_dependant(self, dependant_id, **form):
        dependant = self._booking_dependant_or_404(dependant_id)
        if request.httprequest.method != "POST":
            return self._booking_render_dependant_form(dependant)
        values, errors = self._booking_dependant_values(form)
        if errors:
            return self._booking_render_dependant_form(dependant, form, errors, status=400)
        try:
            dependant.write(values)
        except ValidationError as error:
            return self._booking_render_dependant_form(dependant, form, {"name": str(error.args[0])}, status=400)
        return request.redirect(f"/my/dependants/{dependant.id}?saved=1")

    @http.route(f"/my/dependants/<{ID}:dependant_id>/archive", type="http", auth="user", website=True,
                methods=["POST"])
    def portal_dependant_archive(self, dependant_id, restore=None, **kwargs):
        dependant = self._booking_dependant_or_404(dependant_id)
        dependant.active = restore == "1"
        return request.redirect("/my/dependants" if not dependant.active else f"/my/dependants/{dependant.id}")
