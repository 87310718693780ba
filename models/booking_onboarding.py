"""The guided setup: from nothing to a published page that confirms bookings, on Odoo's own onboarding.

The panel is an ``onboarding.onboarding`` with one ``onboarding.onboarding.step``
per screen (data/booking_onboarding_data.xml), its progress kept per company by
the onboarding module. Each step opens a small form that does the step in one
screen (wizard/booking_setup_*.py) and marks it done; steps whose result can be
seen in the data (a team, services, a test booking, a published page) are also
marked done when the merchant did them by hand.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

SETUP_ONBOARDING = "self_serve_booking.onboarding_booking_setup"
SETUP_STEPS = ("hours", "team", "services", "policy", "payment", "try", "publish")
MANAGER_GROUP = "self_serve_booking.group_booking_manager"


def step_xmlid(step):
    return f"self_serve_booking.onboarding_step_booking_{step}"


class OnboardingOnboarding(models.Model):
    _inherit = "onboarding.onboarding"

    # === THE BOOKING SETUP PANEL === #

    @api.model
    def booking_setup_panel(self):
        """The guided setup of the current company, for the panel: its steps (Odoo's onboarding step
        templates) and the page it sets up. Booking managers only."""
        Page = self.env["booking.page"]
        Page._booking_setup_check_access()
        onboarding = self.env.ref(SETUP_ONBOARDING).sudo()  # onboarding records are the administrator's
        onboarding._search_or_create_progress()
        values = onboarding._prepare_rendering_values()
        page = Page._booking_setup_page()
        return {
            "html": self.env["ir.qweb"]._render("self_serve_booking.booking_setup_panel", values),
            "state": values["state"].get("onboarding_state", "not_done"),
            "page": page._booking_setup_summary() if page else False,
        }

    @api.model
    def action_close_panel_booking_setup(self):
        """Hide the panel for the current company: the Booking app opens on the calendar again."""
        self.env["booking.page"]._booking_setup_check_access()
        self.sudo().action_close_panel(SETUP_ONBOARDING)

    def _prepare_rendering_values(self):
        if self == self.env.ref(SETUP_ONBOARDING, raise_if_not_found=False):
            self.env["booking.page"]._booking_setup_sync_steps()
        return super()._prepare_rendering_values()


class OnboardingOnboardingStep(models.Model):
    _inherit = "onboarding.onboarding.step"

    # === OPENING ACTIONS OF THE BOOKING SETUP (panel_step_open_action_name) === #

    @api.model
    def action_open_step_booking_hours(self):
        return self._booking_open_setup_step("hours")

    @api.model
    def action_open_step_booking_team(self):
        return self._booking_open_setup_step("team")

    @api.model
    def action_open_step_booking_services(self):
        return self._booking_open_setup_step("services")

    @api.model
    def action_open_step_booking_policy(self):
        return self._booking_open_setup_step("policy")

    @api.model
    def action_open_step_booking_payment(self):
        return self._booking_open_setup_step("payment")

    @api.model
    def action_open_step_booking_try(self):
        return self._booking_open_setup_step("try")

    @api.model
    def action_open_step_booking_publish(self):
        return self._booking_open_setup_step("publish")

    @api.model
    def _booking_setup_titles(self):
        return {
            "hours": self.env._("Opening hours"),
            "team": self.env._("Your team"),
            "services": self.env._("Your services"),
            "policy": self.env._("Cancellations and no-shows"),
            "payment": self.env._("Payments"),
            "publish": self.env._("Publish your page"),
        }

    @api.model
    def _booking_open_setup_step(self, step):
        """The action of a setup step: its form in a dialog, or the page's preview for the test booking."""
        Page = self.env["booking.page"]
        Page._booking_setup_check_access()
        if step == "try":
            return Page._booking_setup_page()._booking_setup_try_action()
        return {
            "type": "ir.actions.act_window",
            "name": self._booking_setup_titles()[step],
            "res_model": f"booking.setup.{step}",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    @api.model
    def _booking_mark_setup_step_done(self, step):
        """Mark ``step`` of the current company's setup done (the onboarding records are the administrator's)."""
        return self.sudo().action_validate_step(step_xmlid(step))


class BookingPage(models.Model):
    _inherit = "booking.page"

    resource_calendar_id = fields.Many2one(
        "resource.calendar", string="Team Hours", check_company=True,
        help="The working hours of the people added to this page in the guided setup (its Opening hours step); "
        "each provider keeps hours of their own, changed on the provider.",
    )

    # === THE PAGE BEING SET UP === #

    @api.model
    def _booking_setup_check_access(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only Booking managers set up booking pages."))

    @api.model
    def _booking_setup_page(self, create=False):
        """The page the guided setup works on: the company's first page, created when ``create`` asks.

        A new page is created as any page is (``create()``), with the default
        notification rules, unpublished, named after the company.
        """
        company = self.env.company
        page = self.search([("company_id", "=", company.id)], order="id", limit=1)
        if not page and create:
            page = self.create({"name": company.name, "company_id": company.id})
        return page

    def _booking_setup_summary(self):
        """What the panel says of the page: its name, address, state and offer."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "url": self.website_url,
            "full_url": f"{self.get_base_url()}{self.website_url}",
            "is_published": self.is_published,
            "service_count": len(self._get_bookable_services()),
            "provider_count": len(self._get_bookable_providers()),
        }

    def _booking_setup_try_action(self):
        """Open the page as customers see it, to book on it as they would (a test booking while unpublished)."""
        if not self or not self._get_bookable_services():
            raise UserError(self.env._("Add your services and the team who delivers them first: then there is "
                                       "something to book."))
        return {"type": "ir.actions.act_url", "url": self.website_url, "target": "self"}

    def _booking_setup_website(self):
        """The website that shows the page: its own, else the first of its company (see ``_is_served_by``)."""
        self.ensure_one()
        return self.website_id or self.env["website"].search([("company_id", "=", self.company_id.id)], limit=1)

    @api.model
    def _booking_setup_sync_steps(self):
        """Mark done the steps the company's data shows done, however they were done (the setup or by hand)."""
        page = self._booking_setup_page()
        if not page:
            return
        Step = self.env["onboarding.onboarding.step"]
        seen = {
            "team": bool(page._get_bookable_providers()),
            "services": bool(page._get_bookable_services()),
            "try": bool(self.env["booking.appointment"].sudo().search_count(
                [("page_id", "=", page.id), ("source", "in", ("website", "api"))], limit=1)),
            "publish": page.is_published,
        }
        for step, done in seen.items():
            record = self.env.ref(step_xmlid(step), raise_if_not_found=False)
            if done and record and record.sudo().current_step_state == "not_done":
                Step._booking_mark_setup_step_done(step)

    # === THE BOOKING APP'S HOME === #

    @api.model
    def _booking_setup_wanted(self):
        """Whether the Booking app opens on the guided setup: for a manager whose company has no published
        page yet, until they close the panel."""
        if not self.env.user.has_group(MANAGER_GROUP):
            return False
        if self.search_count([("company_id", "=", self.env.company.id), ("is_published", "=", True)], limit=1):
            return False
        onboarding = self.env.ref(SETUP_ONBOARDING, raise_if_not_found=False)
        return bool(onboarding) and not onboarding.sudo().is_onboarding_closed

    @api.model
    def _booking_home_action(self):
        """What the Booking app opens on: the guided setup while it is wanted, else its first menu's action."""
        if self._booking_setup_wanted():
            return self.env["ir.actions.actions"]._for_xml_id("self_serve_booking.booking_setup_action")
        # as Odoo picks an app's action (the first menu with one, depth first), below the app's own menu,
        # among the menus this user sees (searching menus filters the invisible ones)
        Menu = self.env["ir.ui.menu"]
        menu = self.env.ref("self_serve_booking.menu_booking_root")
        while True:
            menu = Menu.search([("parent_id", "=", menu.id)], order="sequence, id", limit=1)
            if not menu or menu.action:
                break
        return menu.action.sudo()._get_action_dict() if menu else False
