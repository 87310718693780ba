from odoo import Command
from odoo.tests import HttpCase
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .test_ui_tours import TourDataMixin


@tagged("post_install", "-at_install")
class TestDependantTours(TourDataMixin, HttpCase):
    """In Chromium: a customer adds a pet in the portal and books a grooming for it; staff see the pet."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grooming = cls.env["booking.service"].create({
            "name": "Tour Grooming", "duration_minutes": 60, "price": 40, "is_published": True,
            "for_dependant": True, "dependant_kind_pet": True,
            "provider_ids": [Command.set(cls.providers.ids)],
        })
        cls.page.service_ids = [Command.link(cls.grooming.id)]
        cls.customer_user = mail_new_test_user(cls.env, login="pet_owner", name="Olive Owner",
                                               email="olive@example.com", groups="base.group_portal")
        cls.staff_user = mail_new_test_user(cls.env, login="groom_staff", name="Gus Groomer",
                                            groups="base.group_user,self_serve_booking.group_booking_user")

    def test_customer_adds_a_pet_and_books_a_grooming_staff_see_it(self):
        self.start_tour("/my/dependants", "self_serve_booking_pet_groom", login="pet_owner")
        fido = self.env["booking.dependant"].search([("name", "=", "Fido")])
        self.assertEqual(fido.partner_id, self.customer_user.partner_id)
        self.assertEqual((fido.species, fido.breed, fido.weight), ("Dog", "Beagle", 12.5))
        appointment = self.env["booking.appointment"].search([("service_id", "=", self.grooming.id)])
        self.assertEqual(len(appointment), 1)
        self.assertEqual(appointment.dependant_ids, fido)
        self.assertEqual(appointment.partner_id, self.customer_user.partner_id)
        self.start_tour("/odoo/action-self_serve_booking.booking_appointment_action",
                        "self_serve_booking_staff_sees_pet", login="groom_staff")

    def test_book_again_opens_the_widget_with_the_same_choices(self):
        rex = self.env["booking.dependant"].create(
            {"name": "Rex", "kind": "pet", "partner_id": self.customer_user.partner_id.id})
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        fido = self.env["booking.dependant"].create({"name": "Fido", "kind": "pet", "partner_id": stranger.id})
        ben = self.providers.filtered(lambda p: p.name == "Tour Ben")
        url = f"/p/tour-spa?service={self.grooming.id}&provider={ben.id}&dependant={fido.id},{rex.id}"
        self.start_tour(url, "self_serve_booking_book_again", login="pet_owner")
