import json

from freezegun import freeze_time
from lxml import html

from odoo import http
from odoo.tests import tagged

from .common import NOW
from .common import BookingHttpCommon
from .test_dependants import DependantDataMixin

API = "/booking/api/v1"


@tagged("post_install", "-at_install")
class TestHttpDependants(DependantDataMixin, BookingHttpCommon):
    """The portal's "My pets & family", the API and "Book again" links, tried by the owner and by an attacker."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_dependant_data()
        cls.page.write({"rate_limit_count": 0, "show_providers": True})

    # === HELPERS === #

    def post_form(self, url, **data):
        return self.url_open(url, data={**data, "csrf_token": http.Request.csrf_token(self)}, allow_redirects=False)

    def api_post(self, path, body):
        response = self.url_open(f"{API}{path}", data=json.dumps(body),
                                 headers={"Content-Type": "application/json"}, allow_redirects=False)
        return response, response.json()

    def widget_props(self, query):
        response = self.url_open(f"/p/test-salon?{query}")
        self.assertEqual(response.status_code, 200)
        return json.loads(html.fromstring(response.content).xpath("//owl-component/@props")[0])

    # === PORTAL === #

    def test_portal_list_add_edit_archive(self):
        self.authenticate("portal_one", "portal_one")
        response = self.url_open("/my/dependants")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Bella", response.text)
        self.assertNotIn("Tom", response.text)
        response = self.post_form("/my/dependants/new", name="Luna", kind="pet", species="cat", weight="4,2",
                                  birth_date="2021-03-04", medical_notes="Shy")
        self.assertEqual(response.status_code, 303)
        luna = self.env["booking.dependant"].search([("name", "=", "Luna")])
        self.assertEqual((luna.partner_id, luna.weight, luna.company_id.id), (self.paula, 4.2, False))
        response = self.url_open(f"/my/dependants/{luna.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Shy", response.text)
        # the owner cannot be changed through the form: the field is not read
        response = self.post_form(f"/my/dependants/{luna.id}", name="Luna", kind="pet", weight="4.5",
                                  partner_id=str(self.pete.id))
        self.assertEqual(response.status_code, 303)
        self.assertEqual((luna.partner_id, luna.weight), (self.paula, 4.5))
        response = self.post_form(f"/my/dependants/{luna.id}/archive")
        self.assertEqual(response.status_code, 303)
        self.assertFalse(luna.active)
        self.assertNotIn("Luna", self.url_open("/my/dependants").text)

    def test_portal_bad_input_is_a_400(self):
        self.authenticate("portal_one", "portal_one")
        for data in ({"name": "", "kind": "pet"}, {"name": "Ok", "kind": "dragon"},
                     {"name": "Ok", "kind": "pet", "weight": "heavy"}, {"name": "Ok", "kind": "pet", "weight": "nan"},
                     {"name": "Ok", "kind": "pet", "birth_date": "2999-01-01"},
                     {"name": "Ok", "kind": "pet", "birth_date": "not a date"}, {"name": "x" * 200, "kind": "pet"}):
            with self.subTest(data=data):
                response = self.post_form("/my/dependants/new", **data)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(self.env["booking.dependant"].search_count([("partner_id", "=", self.paula.id)]), 2)

    def test_another_customers_dependant_is_a_404(self):
        self.authenticate("portal_one", "portal_one")
        for url in (f"/my/dependants/{self.tom.id}", "/my/dependants/99999999", "/my/dependants/abc"):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)
        response = self.post_form(f"/my/dependants/{self.tom.id}", name="Mine now", kind="pet")
        self.assertEqual(response.status_code, 404)
        response = self.post_form(f"/my/dependants/{self.tom.id}/archive")
        self.assertEqual(response.status_code, 404)
        self.assertEqual((self.tom.name, self.tom.active), ("Tom", True))

    def test_portal_home_offers_pets_and_family_before_the_first_one(self):
        self.authenticate("portal_two", "portal_two")
        self.tom.active = False
        response = self.url_open("/my/home")
        self.assertEqual(response.status_code, 200)
        card = html.fromstring(response.content).xpath("//a[@href='/my/dependants']/ancestor::div"
                                                       "[contains(@class, 'o_portal_index_card')]")
        self.assertTrue(card)
        self.assertNotIn("d-none", card[0].get("class"))

    def test_portal_pages_need_sign_in(self):
        response = self.url_open(f"/my/dependants/{self.bella.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])

    # === API === #

    def test_api_books_for_own_pets_only(self):
        self.authenticate("portal_one", "portal_one")
        with freeze_time(NOW):
            response, data = self.api_post("/pages/test-salon/bookings", {
                "service_id": self.grooming.id, "provider_id": self.provider_a.id,
                "start": "2025-06-02T07:00:00Z", "dependant_ids": [self.tom.id]})
            self.assertEqual(response.status_code, 400, data)
            self.assertIn("dependant_ids", data["fields"])
            response, data = self.api_post("/pages/test-salon/bookings", {
                "service_id": self.grooming.id, "provider_id": self.provider_a.id,
                "start": "2025-06-02T07:00:00Z", "dependant_ids": ["x"]})
            self.assertEqual(response.status_code, 400, data)
            response = self.url_open(f"{API}/pages/test-salon/slots?service_id={self.grooming.id}"
                                     f"&provider_id={self.provider_a.id}&date_from=2025-06-02&dependant_count=2")
            starts = [slot["start"] for slot in response.json()["slots"] if slot["start"].startswith("2025-06-02")]
            self.assertEqual(starts, ["2025-06-02T07:00:00Z", "2025-06-02T08:00:00Z", "2025-06-02T11:00:00Z",
                                      "2025-06-02T12:00:00Z", "2025-06-02T13:00:00Z"])
            self.assertEqual(self.url_open(f"{API}/pages/test-salon/slots?service_id={self.grooming.id}"
                                           "&date_from=2025-06-02&dependant_count=0").status_code, 400)
            response, data = self.api_post("/pages/test-salon/bookings", {
                "service_id": self.grooming.id, "provider_id": self.provider_a.id,
                "start": "2025-06-02T07:00:00Z", "dependant_ids": [self.bella.id, self.max.id]})
        self.assertEqual(response.status_code, 201, data)
        self.assertEqual(sorted(data["booking"]["dependant_ids"]), sorted((self.bella | self.max).ids))
        self.assertEqual(data["booking"]["end"], "2025-06-02T09:00:00Z")

    def test_the_confirmation_names_the_pets(self):
        self.page.auto_confirm = True
        with freeze_time(NOW):
            booking = self.env["booking.appointment"]._book_online(
                self.page, self.grooming, self.provider_a, self.at(9), partner=self.paula,
                dependant_ids=[self.bella.id, self.max.id])
            page = self.url_open(f"/p/test-salon/booking/{booking.id}?access_token={booking._portal_ensure_token()}")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(html.fromstring(page.content).xpath("normalize-space(//*[hasclass('o_booking_dependants')])"),
                         "For Bella, Max")
        _subject, body = booking._render_template(self.env.ref("self_serve_booking.mail_template_booking_confirmed"))
        self.assertIn("for Bella, Max", html.fromstring(body).text_content())

    def test_api_guest_cannot_name_a_dependant(self):
        self.page.allow_guest_booking = True
        with freeze_time(NOW):
            response, data = self.api_post("/pages/test-salon/bookings", {
                "service_id": self.grooming.id, "start": "2025-06-02T07:00:00Z",
                "customer": {"name": "Guest", "email": "guest@example.com"}, "dependant_ids": [self.bella.id]})
            self.assertEqual(response.status_code, 400, data)
            self.assertIn("dependant_ids", data["fields"])
            response, data = self.api_post("/pages/test-salon/bookings", {
                "service_id": self.grooming.id, "start": "2025-06-02T07:00:00Z",
                "customer": {"name": "Guest", "email": "guest@example.com"}})
            self.assertEqual(response.status_code // 100, 4, data)
        self.assertFalse(self.env["booking.appointment"].search([("service_id", "=", self.grooming.id)]))
        page = self.url_open(f"{API}/pages/test-salon").json()
        grooming = next(service for service in page["services"] if service["id"] == self.grooming.id)
        self.assertEqual((grooming["for_dependant"], grooming["dependant_kinds"], grooming["max_dependants"]),
                         (True, ["pet"], 2))

    # === BOOK AGAIN === #

    def test_book_again_link_preselects_own_dependant_only(self):
        query = (f"service={self.grooming.id}&provider={self.provider_b.id}"
                 f"&dependant={self.bella.id},{self.tom.id}")
        self.authenticate("portal_one", "portal_one")
        props = self.widget_props(query)
        self.assertEqual((props["serviceId"], props["providerId"], props["dependantIds"]),
                         (self.grooming.id, self.provider_b.id, [self.bella.id]))
        self.assertEqual({d["name"] for d in props["dependants"]}, {"Bella", "Max"})
        # someone else following Paula's link: her pets are not theirs, only their own id counts
        self.authenticate("portal_two", "portal_two")
        props = self.widget_props(query)
        self.assertEqual(props["dependantIds"], [self.tom.id])
        props = self.widget_props(f"service={self.grooming.id}&dependant={self.bella.id}")
        self.assertEqual(props["dependantIds"], [])
        self.assertEqual([d["name"] for d in props["dependants"]], ["Tom"])
        self.authenticate(None, None)
        props = self.widget_props(query)
        self.assertEqual((props["dependantIds"], props["dependants"]), ([], []))
        # junk and foreign providers are ignored, never a 500
        props = self.widget_props(f"service={self.grooming.id}&provider=99999&dependant=abc,,-1")
        self.assertEqual((props["providerId"], props["dependantIds"]), (0, []))
