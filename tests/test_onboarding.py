import base64
import json

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form
from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import file_open

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import NOW
from .common import PARIS
from .common import BookingCommon
from .common import BookingHttpCommon

API = "/booking/api/v1"
STEPS = ("hours", "team", "services", "policy", "payment", "try", "publish")


class SetupMixin:
    """A new barber shop: a company of its own with nothing booked, its manager and a staff member."""

    @classmethod
    def _setup_barber(cls):
        cls.barber = cls.env["res.company"].create({"name": "Fade Street Barbers"})
        cls.barber_manager = mail_new_test_user(
            cls.env, login="barber_manager", name="Bea Barber", company_id=cls.barber.id,
            company_ids=[Command.set(cls.barber.ids)], tz=PARIS,
            groups="base.group_user,self_serve_booking.group_booking_manager")
        cls.barber_staff = mail_new_test_user(
            cls.env, login="barber_staff", name="Sid Staff", company_id=cls.barber.id,
            company_ids=[Command.set(cls.barber.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user")
        cls.env["website"].create({"name": "Fade Street", "company_id": cls.barber.id})

    def as_manager(self, model):
        return self.env[model].with_user(self.barber_manager).with_company(self.barber)

    def opens_on_setup(self, user=None):
        """Whether the Booking app opens on the guided setup for ``user`` (the manager), else on its first menu."""
        action = self.env["booking.page"].with_user(user or self.barber_manager).with_company(
            self.barber)._booking_home_action()
        first_menu = self.env["ir.ui.menu"].search(
            [("parent_id", "=", self.env.ref("self_serve_booking.menu_booking_root").id)], order="sequence, id",
            limit=1)
        self.assertTrue(action.get("tag") == "self_serve_booking.setup" or action["id"] == first_menu.action.id)
        return action.get("tag") == "self_serve_booking.setup"

    def step_state(self, step, company=None):
        record = self.env.ref(f"self_serve_booking.onboarding_step_booking_{step}")
        return record.with_company(company or self.barber).current_step_state

    def fill_hours(self):
        with Form(self.as_manager("booking.setup.hours")) as form:
            form.tz = PARIS
            with form.line_ids.edit(5) as saturday:  # Monday first: Saturday is the sixth line
                saturday.is_open = True
                saturday.hour_from = 9
                saturday.hour_to = 13
            form.has_break = True
        return form.record

    def fill_team(self, names=("Bea Barber", "Tom Trim")):
        with Form(self.as_manager("booking.setup.team")) as form:
            for index, name in enumerate(names):
                if index < len(form.line_ids):
                    with form.line_ids.edit(index) as line:
                        line.name = name
                else:
                    with form.line_ids.new() as line:
                        line.name = name
                        line.job_title = "Barber"
        return form.record

    def fill_services(self, rows):
        with Form(self.as_manager("booking.setup.services")) as form:
            for row in rows:
                with form.line_ids.new() as line:
                    for field, value in row.items():
                        setattr(line, field, value)
        return form.record


class TestGuidedSetup(SetupMixin, TransactionCase):
    """The guided setup, screen by screen, as the new shop's manager: a published page that confirms bookings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_barber()

    def test_empty_company_to_published_page(self):
        Page = self.as_manager("booking.page")
        self.assertFalse(Page.search([("company_id", "=", self.barber.id)]), "an empty company")
        self.assertTrue(self.opens_on_setup(), "the app opens on the guided setup")

        action = self.fill_hours().action_continue()
        self.assertEqual((action["res_model"], action["name"]), ("booking.setup.team", "Your team"),
                         "Save & Continue opens the next step, with its title")
        page = Page._booking_setup_page()
        self.assertEqual((page.name, page.is_published, page.tz), ("Fade Street Barbers", False, PARIS))
        self.assertIn("confirmed", page.notification_rule_ids.mapped("event"),
                      "created as any page is: it confirms bookings")
        hours = {(a.dayofweek, a.hour_from, a.hour_to) for a in page.resource_calendar_id.attendance_ids}
        self.assertIn(("0", 9, 12), hours)
        self.assertIn(("0", 13, 17), hours, "the break splits the day")
        self.assertIn(("5", 9, 13), hours, "Saturday morning: the break is not within it")
        self.assertNotIn("6", {day for day, _start, _stop in hours}, "closed on Sunday")

        self.assertEqual(self.fill_team().action_continue()["res_model"], "booking.setup.services")
        self.assertEqual(page.provider_ids.mapped("name"), ["Bea Barber", "Tom Trim"])
        self.assertEqual(page.provider_ids.resource_calendar_id, page.resource_calendar_id)

        services = self.fill_services([
            {"name": "Haircut", "duration_minutes": 30, "price": 25},
            {"name": "Beard trim", "duration_minutes": 15, "price": 12},
            {"name": "Hot towel shave", "duration_minutes": 45, "price": 30, "requires_approval": True},
        ])
        self.assertEqual(services.action_continue()["res_model"], "booking.setup.policy")
        self.assertEqual(page.service_ids.mapped("name"), ["Haircut", "Beard trim", "Hot towel shave"])
        self.assertEqual(page._get_bookable_services(), page.service_ids, "published, delivered by the team")

        with Form(self.as_manager("booking.setup.policy")) as form:
            form.kind = "strict"
            form.cancel_limit_hours = 12
            form.no_show_fee_type = "fixed"
            form.no_show_fee_value = 10
        self.assertEqual(form.record.action_continue()["res_model"], "booking.setup.payment")
        policy = page.cancellation_policy_id
        self.assertEqual((policy.company_id, policy.cancel_limit_hours, policy.no_show_fee_value),
                         (self.barber, 12, 10))
        self.assertEqual(policy._get_refund_percent(47), 0)
        self.assertEqual(policy._get_refund_percent(48), 100)
        standard = self.env.ref("self_serve_booking.booking_cancellation_policy_standard")
        self.assertEqual(len(standard.tier_ids), 3, "the shared default policy is left as it was")

        payment = Form(self.as_manager("booking.setup.payment")).save()
        self.assertEqual(payment.action_continue()["type"], "ir.actions.act_url", "then the test booking")
        self.assertEqual(self.as_manager("onboarding.onboarding.step").action_open_step_booking_try()["url"],
                         "/p/fade-street-barbers")

        publish = Form(self.as_manager("booking.setup.publish"))
        self.assertIn("Not tried yet", publish.checklist)
        publish.name = "Fade Street"
        publish.image_1920 = base64.b64encode(file_open("self_serve_booking/static/description/icon.png", "rb").read())
        publish.save().action_publish()
        self.assertTrue(page.is_published)
        self.assertEqual((page.name, page.slug), ("Fade Street", "fade-street-barbers"))
        self.assertTrue(page.image_1920)
        self.assertFalse(self.opens_on_setup(), "published: the app opens on its first menu again")

        done = {step: self.step_state(step) for step in STEPS}
        self.assertEqual({step for step, state in done.items() if state == "not_done"}, {"try"},
                         "every screen marked its step done; the test booking is the data's to tell")
        self.assertEqual(self.step_state("hours", self.env.ref("base.main_company")), "not_done",
                         "progress is the company's")

    def test_panel_renders_odoo_onboarding_steps_and_marks_what_the_data_shows(self):
        Onboarding = self.as_manager("onboarding.onboarding")
        panel = Onboarding.booking_setup_panel()
        self.assertFalse(panel["page"])
        self.assertEqual(panel["html"].count("o_onboarding_step "), 7, "seven steps")
        self.assertIn('data-method="action_open_step_booking_hours"', panel["html"])
        self.assertIn("/base/static/img/onboarding_calendar.png", panel["html"], "images any manager can load")
        # steps done by hand count: a team and services, through the ordinary forms
        page = self.as_manager("booking.page").create({"name": "By Hand"})
        provider = self.as_manager("booking.provider").create({"name": "Hand", "company_id": self.barber.id})
        self.as_manager("booking.service").create({
            "name": "Cut", "is_published": True, "company_id": self.barber.id,
            "provider_ids": [Command.set(provider.ids)], "page_ids": [Command.set(page.ids)]})
        page.provider_ids = provider
        panel = Onboarding.booking_setup_panel()
        self.assertEqual(panel["page"]["name"], "By Hand")
        self.assertEqual((self.step_state("team"), self.step_state("services"), self.step_state("hours")),
                         ("done", "done", "not_done"), "shown once as just done, then done")
        Onboarding.action_close_panel_booking_setup()
        self.assertFalse(self.opens_on_setup(), "a closed panel: the app opens on its first menu again")

    def test_staff_and_others_cannot_run_the_setup(self):
        staff = self.env(user=self.barber_staff)
        for call in (
            staff["onboarding.onboarding"].booking_setup_panel,
            staff["onboarding.onboarding"].action_close_panel_booking_setup,
            staff["onboarding.onboarding.step"].action_open_step_booking_team,
            staff["onboarding.onboarding.step"].action_open_step_booking_try,
            lambda: staff["booking.setup.team"].create({"line_ids": [Command.create({"name": "Intruder"})]}),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertFalse(self.opens_on_setup(self.barber_staff), "staff land on the app's first menu")
        self.assertFalse(self.env["booking.page"].search([("company_id", "=", self.barber.id)]), "nothing written")

    def test_another_company_s_page_is_out_of_reach(self):
        """A manager of another company names this shop's page in a step's form: refused, nothing changes."""
        page = self.as_manager("booking.page")._booking_setup_page(create=True)
        other = self.env["res.company"].create({"name": "Rival Cuts"})
        rival = mail_new_test_user(
            self.env, login="rival_manager", name="Rex Rival", company_id=other.id,
            company_ids=[Command.set(other.ids)], groups="base.group_user,self_serve_booking.group_booking_manager")
        for model, vals in (
            ("booking.setup.publish", {"page_id": page.id, "name": "Hijacked"}),
            ("booking.setup.team", {"page_id": page.id, "line_ids": [Command.create({"name": "Mole"})]}),
            ("booking.setup.hours", {"page_id": page.id}),
        ):
            with self.subTest(model=model), self.assertRaises(UserError):  # an AccessError is one
                self.env[model].with_user(rival).create(vals).action_save()
        self.assertEqual((page.name, page.is_published, page.provider_ids), ("Fade Street Barbers", False,
                                                                            self.env["booking.provider"]))
        self.assertFalse(self.env["booking.page"].with_user(rival)._booking_setup_page(), "theirs is their own")

    def test_hours_refuse_an_impossible_day_and_write_nothing(self):
        with self.assertRaises(UserError), Form(self.as_manager("booking.setup.hours")) as form:
            with form.line_ids.edit(0) as monday:
                monday.hour_from = 18
                monday.hour_to = 9
            form.save().action_save()
        wizard = Form(self.as_manager("booking.setup.hours"))
        for index in range(5):
            with wizard.line_ids.edit(index) as day:
                day.is_open = False
        with self.assertRaises(UserError):
            wizard.save().action_save()
        self.assertEqual(self.step_state("hours"), "not_done")

    def test_hours_never_rewrite_hours_shared_with_others(self):
        shared = self.barber.resource_calendar_id
        before = shared.attendance_ids.read(["dayofweek", "hour_from", "hour_to"])
        page = self.as_manager("booking.page").create({"name": "Shared", "resource_calendar_id": shared.id})
        self.fill_hours().action_save()
        self.assertNotEqual(page.resource_calendar_id, shared, "the page got hours of its own")
        self.assertEqual(shared.attendance_ids.read(["dayofweek", "hour_from", "hour_to"]), before)
        own = page.resource_calendar_id
        self.fill_hours().action_save()
        self.assertEqual(page.resource_calendar_id, own, "its own hours are changed in place")

    def test_services_keep_a_fixed_deposit_and_refuse_nonsense(self):
        self.fill_team().action_save()
        self.fill_services([{"name": "Cut", "price": 40, "deposit_percent": 25}]).action_save()
        cut = self.as_manager("booking.page")._booking_setup_page().service_ids
        self.assertEqual((cut.deposit_type, cut.deposit_amount), ("percent", 10))
        cut.write({"deposit_type": "fixed", "deposit_value": 15})
        Form(self.as_manager("booking.setup.services")).save().action_save()
        self.assertEqual((cut.deposit_type, cut.deposit_value), ("fixed", 15), "a fixed deposit stays as it is")
        with self.assertRaises(UserError):
            self.fill_services([{"name": "Colour", "price": 50, "deposit_percent": 120}]).action_save()
        with self.assertRaises(ValidationError):
            self.fill_services([{"name": "Marathon", "duration_minutes": 2000}]).action_save()

    def test_payments_without_a_provider_take_no_deposit_or_say_so(self):
        self.fill_team().action_save()
        self.fill_services([{"name": "Cut", "price": 40, "deposit_percent": 50},
                            {"name": "Trim", "price": 10}]).action_save()
        payment = Form(self.as_manager("booking.setup.payment"))
        self.assertFalse(payment.provider_names, "no provider of this company")
        self.assertEqual([service.name for service in payment.deposit_service_ids], ["Cut"])
        with self.assertRaisesRegex(UserError, "Cut ask for a deposit"):
            payment.save().action_continue()
        self.assertEqual(self.step_state("payment"), "not_done")
        with self.assertRaises(UserError):
            payment.save().action_connect_stripe()  # an administrator's
        payment.choice = "visit"
        payment.save().action_save()
        cut = self.env["booking.service"].search([("name", "=", "Cut"), ("company_id", "=", self.barber.id)])
        self.assertEqual(cut.deposit_type, "none", "the deposit the form named is gone")
        self.assertEqual(self.step_state("payment"), "just_done")

    def test_publish_refuses_a_page_with_nothing_to_book(self):
        self.fill_hours().action_save()
        publish = Form(self.as_manager("booking.setup.publish"))
        self.assertIn("No service customers can book yet", publish.checklist)
        with self.assertRaisesRegex(UserError, "nothing to book"):
            publish.save().action_publish()
        self.assertFalse(self.as_manager("booking.page")._booking_setup_page().is_published)


class TestApproval(BookingCommon):
    """What a service needs is what happens, unless the page says it skips approvals, and then its form says which."""

    def test_a_new_page_follows_its_services(self):
        page = self.env["booking.page"].create({"name": "New Salon", "service_ids": [Command.set(self.services.ids)]})
        self.assertFalse(page.auto_confirm, "approvals are not skipped by default")
        Appointment = self.env["booking.appointment"]
        self.assertEqual(Appointment._get_initial_state(page, self.service_approval, "website"), "pending")
        self.assertEqual(Appointment._get_initial_state(page, self.service, "website"), "confirmed")
        self.assertFalse(page.auto_confirmed_service_ids)

    def test_a_page_skipping_approvals_names_the_services_it_confirms(self):
        with Form(self.page.with_user(self.user_manager)) as form:
            form.auto_confirm = True
            self.assertEqual(form.auto_confirmed_service_ids.ids, self.service_approval.ids)
        self.assertEqual(
            self.env["booking.appointment"]._get_initial_state(self.page, self.service_approval, "website"),
            "confirmed")


@tagged("post_install", "-at_install")
class TestPreviewBooking(BookingHttpCommon):
    """An unpublished page: its managers try it for real (a test booking); nobody else sees it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.write({"is_published": False, "rate_limit_count": 0})
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon Ltd"})
        cls.manager_b = mail_new_test_user(
            cls.env, login="manager_b", name="Manu B", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_manager")

    def api(self, method, path, body=None):
        response = self.url_open(f"{API}{path}", data=json.dumps(body) if body is not None else None,
                                 headers={"Content-Type": "application/json"} if body is not None else None,
                                 allow_redirects=False)
        self.assertEqual(response.headers.get("Content-Type", "").split(";")[0], "application/json")
        return response, response.json()

    def booking_body(self):
        return {"service_id": self.service.id, "provider_id": None,
                "start": self.at(10).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "customer": {"name": "Ivy Intruder", "email": "ivy@example.com"}}

    @freeze_time(NOW)
    def test_strangers_and_other_companies_get_404(self):
        for login in (None, "portal_one", "booking_staff", "manager_b"):
            with self.subTest(login=login):
                self.authenticate(login, login) if login else self.authenticate(None, None)
                for method, path, body in (
                    ("GET", "/pages/test-salon", None),
                    ("GET", f"/pages/test-salon/slots?service_id={self.service.id}&date_from=2025-06-02", None),
                    ("POST", "/pages/test-salon/bookings", self.booking_body()),
                ):
                    response, data = self.api(method, path, body)
                    self.assertEqual((response.status_code, data["error"]), (404, "not_found"), path)
                self.assertEqual(self.url_open("/p/test-salon").status_code, 404)
        self.assertFalse(self.env["booking.appointment"].search([("page_id", "=", self.page.id)]))

    @freeze_time(NOW)
    def test_the_manager_books_on_the_preview_for_real(self):
        self.authenticate("booking_manager", "booking_manager")
        response = self.url_open("/p/test-salon")
        self.assertIn("o_booking_preview_notice", response.text)
        response, data = self.api("GET", "/pages/test-salon")
        self.assertEqual(response.status_code, 200, data)
        response, data = self.api("GET", f"/pages/test-salon/slots?service_id={self.service.id}&date_from=2025-06-02")
        self.assertEqual(response.status_code, 200, data)
        self.assertTrue(data["slots"])
        body = self.booking_body()
        body.pop("customer")  # signed in: the manager is the customer
        response, data = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.assertEqual((appointment.state, appointment.partner_id), ("confirmed", self.user_manager.partner_id))
        self.assertIn("Test booking", appointment.message_ids.mapped("body")[0])
        confirmation = self.url_open(f"/p/test-salon/booking/{appointment.id}")
        self.assertIn("o_booking_test_notice", confirmation.text)
        self.assertIn("/odoo/booking-setup", confirmation.text)

    @freeze_time(NOW)
    def test_a_booking_on_a_published_page_is_no_test(self):
        self.page.is_published = True
        self.authenticate("booking_manager", "booking_manager")
        body = self.booking_body()
        body.pop("customer")
        response, data = self.api("POST", "/pages/test-salon/bookings", body)
        self.assertEqual(response.status_code, 201, data)
        appointment = self.env["booking.appointment"].browse(data["booking"]["id"])
        self.assertTrue(appointment)
        bodies = " ".join(appointment.message_ids.mapped("body"))
        self.assertNotIn("Test booking", bodies)


@tagged("post_install", "-at_install")
class TestShareImage(BookingHttpCommon):
    """A shared link to the page shows the page's picture, served to anyone, else the company's logo."""

    def test_open_graph_image(self):
        self.env.company.logo = False
        text = self.url_open("/p/test-salon").text
        self.assertNotIn("/image/page/", text)
        image = file_open("self_serve_booking/static/description/icon.png", "rb").read()
        self.page.image_1920 = base64.b64encode(image)
        self.page.flush_recordset()
        text = self.url_open("/p/test-salon").text
        url = f"/p/test-salon/image/page/{self.page.id}"
        self.assertIn(f'<meta property="og:image" content="{self.page.get_base_url()}{url}?unique=', text)
        self.assertIn('<meta name="twitter:image"', text)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, "anyone gets it")
        self.assertEqual(response.headers["Content-Type"], "image/png")
        self.assertEqual(self.url_open(f"/p/test-salon/image/page/{self.page.id + 1}").status_code, 404)
        self.page.is_published = False
        self.assertEqual(self.url_open(url).status_code, 404, "an unpublished page shows nothing")

