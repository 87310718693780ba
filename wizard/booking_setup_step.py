from odoo import fields, models

from ..models.booking_onboarding import SETUP_STEPS


class BookingSetupStep(models.AbstractModel):
    """One screen of the guided setup: a small form that does its step at once and marks it done.

    Each step's form works on the page of the guided setup (the company's
    first page, created by the first step that needs it) and offers *Save*
    (back to the panel) and *Save & Continue* (the next step's screen, so a
    new merchant goes through the setup without coming back to the panel).
    """

    _name = "booking.setup.step"
    _description = "Guided Setup Step"
    _setup_step = None  # hours, team, services... (models/booking_onboarding.py SETUP_STEPS)
    _check_company_auto = True

    page_id = fields.Many2one(
        "booking.page", readonly=True, ondelete="cascade", check_company=True,
        default=lambda self: self.env["booking.page"]._booking_setup_page())
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")

    # === ACTIONS === #

    def action_save(self):
        """Do the step and go back to the panel."""
        self.ensure_one()
        self._apply()
        self._mark_done()
        return {"type": "ir.actions.act_window_close"}

    def action_continue(self):
        """Do the step and open the next one."""
        self.ensure_one()
        self._apply()
        self._mark_done()
        following = SETUP_STEPS[SETUP_STEPS.index(self._setup_step) + 1]
        return self.env["onboarding.onboarding.step"]._booking_open_setup_step(following)

    # === HOOKS === #

    def _apply(self):
        """Write what the form says (raise ``UserError`` on what cannot be done, writing nothing)."""
        raise NotImplementedError

    def _mark_done(self):
        self.env["onboarding.onboarding.step"]._booking_mark_setup_step_done(self._setup_step)

    # === HELPERS === #

    def _get_page(self):
        """The page of the setup, created if there is none yet."""
        self.ensure_one()
        if not self.page_id:
            self.page_id = self.env["booking.page"]._booking_setup_page(create=True)
        return self.page_id
