from markupsafe import Markup
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError


class BookingSetupPublish(models.TransientModel):
    """Publish: the page's name, address and picture, what it offers, then open it to customers.

    Refused while there is nothing to book (no service with someone to
    deliver it) or no website of the company to show the page.
    """

    _name = "booking.setup.publish"
    _inherit = "booking.setup.step"
    _description = "Guided Setup: Publish"
    _setup_step = "publish"

    name = fields.Char(related="page_id.name", readonly=False)
    slug = fields.Char(related="page_id.slug", readonly=False)
    image_1920 = fields.Image(related="page_id.image_1920", readonly=False)
    page_url = fields.Char(string="Link", compute="_compute_checklist")
    checklist = fields.Html(compute="_compute_checklist", sanitize=False)

    @api.depends("page_id", "slug")
    def _compute_checklist(self):
        for wizard in self:
            page = wizard.page_id
            wizard.page_url = f"{page.get_base_url()}/p/{wizard.slug}" if page and wizard.slug else False
            wizard.checklist = wizard._checklist_html() if page else False

    def _checklist(self):
        """What the page offers, as ``[(done, text)]``: what is not done yet says where to do it."""
        self.ensure_one()
        page = self.page_id
        services = page._get_bookable_services()
        providers = page._get_bookable_providers()
        policy = page.cancellation_policy_id
        tested = self.env["booking.appointment"].search_count([("page_id", "=", page.id)], limit=1)
        website = page._booking_setup_website()
        items = [
            (services, self.env._("Services: %(names)s", names=", ".join(services.mapped("name"))),
             self.env._("No service customers can book yet (step Services)")),
            (providers, self.env._("Team: %(names)s", names=", ".join(providers.mapped("name"))),
             self.env._("Nobody to take bookings yet (step Your team)")),
            (policy, self.env._("Cancellations: %(policy)s", policy=policy.name),
             self.env._("No cancellation policy (step Cancellations)")),
            (tested, self.env._("Tried: a test booking was made"),
             self.env._("Not tried yet: make a test booking first (step Test booking)")),
            (website, self.env._("Shown on %(website)s", website=website.name),
             self.env._("No website of the company shows the page")),
        ]
        return [(bool(done), text_done if done else text_to_do) for done, text_done, text_to_do in items]

    def _checklist_html(self):
        items = Markup("").join(
            Markup('<li class="%s"><i class="fa %s me-2" role="img" aria-label="%s"></i>%s</li>') % (
                "text-body" if done else "text-warning", "fa-check text-success" if done else "fa-exclamation-triangle",
                self.env._("Done") if done else self.env._("To do"), escape(text))
            for done, text in self._checklist())
        return Markup('<ul class="list-unstyled mb-0">%s</ul>') % items

    def _apply(self):
        page = self._get_page()
        if not page._get_bookable_services():
            raise UserError(self.env._("There is nothing to book yet: add your services and the team who delivers "
                                       "them first."))
        if not page._booking_setup_website():
            raise UserError(self.env._("No website of %(company)s shows the page: create one first (Website).",
                                       company=page.company_id.name))
        page.is_published = True

    def action_publish(self):
        return self.action_save()
