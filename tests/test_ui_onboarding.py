from odoo import Command
from odoo.tests import HttpCase
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

ZONE = "Europe/Brussels"
STEPS = ("hours", "team", "services", "policy", "payment", "try", "publish")


@tagged("post_install", "-at_install")
class TestGuidedSetupTour(HttpCase):
    """A new barber shop sets up its page in Chromium: from the Booking app of an empty company to a
    published page and a confirmed test booking, in at most 10 screens (counted by the tour)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.barber = cls.env["res.company"].create({"name": "Fade Street Barbers"})
        cls.manager = mail_new_test_user(
            cls.env, login="barber_manager", name="Bea Barber", email="bea@fadestreet.example.com", tz=ZONE,
            company_id=cls.barber.id, company_ids=[Command.set(cls.barber.ids)],
            groups="base.group_user,self_serve_booking.group_booking_manager")
        # the shop's own website answers at the address the browser uses
        cls.env["website"].create({"name": "Fade Street", "company_id": cls.barber.id, "domain": cls.base_url()})

    def test_from_an_empty_company_to_a_published_page_and_a_test_booking(self):
        Page = self.env["booking.page"]
        self.assertFalse(Page.search([("company_id", "=", self.barber.id)]), "nothing set up yet")
        self.assertFalse(self.env["booking.provider"].search([("company_id", "=", self.barber.id)]))
        self.start_tour("/odoo", "self_serve_booking_guided_setup", login="barber_manager")

        page = Page.search([("company_id", "=", self.barber.id)])
        self.assertEqual(len(page), 1)
        self.assertTrue(page.is_published)
        self.assertEqual(page.provider_ids.mapped("name"), ["Bea Barber", "Tom Trim"])
        self.assertEqual(page.service_ids.mapped("name"), ["Haircut", "Beard trim"])
        rules = page.notification_rule_ids.filtered("active")
        self.assertIn(("confirmed", "email"), [(rule.event, rule.channel) for rule in rules],
                      "the page confirms bookings by e-mail from the start")
        booking = page.appointment_ids
        self.assertEqual(len(booking), 1)
        self.assertEqual((booking.state, booking.source, booking.partner_id),
                         ("confirmed", "website", self.manager.partner_id))
        self.assertIn("Test booking", " ".join(booking.message_ids.mapped("body")))
        self.assertTrue(self.env["booking.notification"].search([
            ("appointment_id", "=", booking.id), ("event", "=", "confirmed")]), "its confirmation is queued")
        states = {step: self.env.ref(f"self_serve_booking.onboarding_step_booking_{step}")
                  .with_company(self.barber).current_step_state for step in STEPS}
        self.assertNotIn("not_done", states.values(), states)
