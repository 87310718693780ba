import json

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from ..booking_api import schemas
from .common import MONDAY
from .common import NOW
from .common import PARIS
from .common import BookingHttpCommon

API = "/booking/api/v1/merchant"


@tagged("post_install", "-at_install")
class TestMerchantApi(BookingHttpCommon):
    """The merchant API on Odoo's API keys: the key user's rights, the allow-list, the backend's guards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_employee = mail_new_test_user(cls.env, login="plain_employee", name="Emma Employee",
                                               groups="base.group_user")
        cls.company_b = cls.env["res.company"].create({"name": "Other Salon Ltd"})
        cls.user_staff_b = mail_new_test_user(
            cls.env, login="booking_staff_b", name="Berta Staff", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="base.group_user,self_serve_booking.group_booking_user",
        )
        Env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company_b.ids))
        calendar_b = Env["resource.calendar"].create({"name": "B hours", "company_id": cls.company_b.id, "tz": PARIS})
        service_b = Env["booking.service"].create({"name": "B service", "duration_minutes": 60,
                                                   "company_id": cls.company_b.id, "requires_approval": True})
        provider_b = Env["booking.provider"].create({
            "name": "B provider", "company_id": cls.company_b.id, "resource_calendar_id": calendar_b.id,
            "tz": PARIS, "service_ids": [Command.set(service_b.ids)],
        })
        cls.page_b = Env["booking.page"].create({
            "name": "B page", "slug": "b-page", "company_id": cls.company_b.id, "tz": PARIS,
            "service_ids": [Command.set(service_b.ids)], "provider_ids": [Command.set(provider_b.ids)],
        })
        with freeze_time(NOW):
            cls.appointment_b = Env["booking.appointment"].create({
                "page_id": cls.page_b.id, "service_id": service_b.id, "provider_id": provider_b.id,
                "partner_id": cls.customer.id, "start": cls.at(10), "state": "pending",
            })
            cls.request = cls.env["booking.appointment"].create({
                "page_id": cls.page.id, "service_id": cls.service_approval.id, "provider_id": cls.provider_a.id,
                "partner_id": cls.customer.id, "start": cls.at(10), "state": "pending",
            })
            cls.confirmed = cls.env["booking.appointment"].create({
                "page_id": cls.page.id, "service_id": cls.service.id, "provider_id": cls.provider_b.id,
                "partner_id": cls.customer.id, "start": cls.at(14),
            })
            cls.tuesday = cls.env["booking.appointment"].create({
                "page_id": cls.page.id, "service_id": cls.service.id, "provider_id": cls.provider_a.id,
                "partner_id": cls.customer.id, "start": cls.at(9, day=MONDAY + cls.days(1)),
            })
        cls.key_staff = cls._key(cls.user_staff)
        cls.key_manager = cls._key(cls.user_manager)
        cls.key_employee = cls._key(cls.user_employee)
        cls.key_staff_b = cls._key(cls.user_staff_b)

    @classmethod
    def _key(cls, user, scope=None):
        """An API key of ``user``, as Preferences > New API Key makes it (no scope: any)."""
        return cls.env["res.users.apikeys"].with_user(user).sudo()._generate(scope, f"{user.login} key", None)

    # === HELPERS === #

    def call(self, method, path, key=None, body=None, raw=None, headers=None):
        headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        response = self.opener.request(method, f"{self.base_url()}{API}{path}", data=data, headers=headers,
                                       timeout=30, allow_redirects=False)
        self.assertLess(response.status_code, 500, response.text[:500])
        try:
            return response, response.json()
        except ValueError:
            return response, None

    def act(self, appointment, action, key, body=None):
        return self.call("POST", f"/appointments/{appointment.id}/{action}", key, body)

    def assertError(self, response, data, status, code):
        self.assertEqual(response.status_code, status, data)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(data["error"], code, data)
        self.assertTrue(data["message"])

    def states(self):
        appointments = self.request | self.confirmed | self.tuesday | self.appointment_b
        appointments.invalidate_recordset()
        return [(a.state, a.start, a.provider_id) for a in appointments.sudo()]

    # === RIGHTS === #

    @freeze_time(NOW)
    def test_booking_user_lists_reads_and_approves(self):
        response, data = self.call("GET", "/appointments", self.key_staff)
        self.assertEqual(response.status_code, 200, data)
        ids = [a["id"] for a in data["appointments"]]
        mine = (self.request | self.confirmed | self.tuesday).ids
        self.assertEqual([i for i in ids if i in mine], mine, "by start")
        self.assertNotIn(self.appointment_b.id, ids, "their company's only")
        response, data = self.call("GET", f"/appointments/{self.request.id}", self.key_staff)
        self.assertEqual(response.status_code, 200, data)
        appointment = data["appointment"]
        self.assertEqual((appointment["reference"], appointment["state"]), (self.request.name, "pending"))
        self.assertEqual(appointment["start"], "2025-06-02T08:00:00Z")
        self.assertEqual(appointment["customer"]["email"], "carla@example.com")
        self.assertEqual(appointment["actions"], ["approve", "decline", "cancel", "move"])

        response, data = self.act(self.request, "approve", self.key_staff)
        self.assertEqual(response.status_code, 200, data)
        self.assertEqual(data["appointment"]["state"], "confirmed")
        self.assertEqual(self.request.state, "confirmed")
        self.assertIn("Approved by Stacy Staff", str(self.request.message_ids.mapped("body")),
                      "the backend's method ran, as the key's user")
        self.assertTrue(self.outbox(self.request, "confirmed"), "the customer is told, as from the backend")

    @freeze_time(NOW)
    def test_manager_declines_and_cancels_with_a_reason(self):
        response, data = self.act(self.request, "decline", self.key_manager, {"reason": "Fully booked that day"})
        self.assertEqual(response.status_code, 200, data)
        self.assertEqual((self.request.state, self.request.cancel_reason), ("rejected", "Fully booked that day"))
        response, data = self.act(self.confirmed, "cancel", self.key_manager, {"reason": "Provider ill"})
        self.assertEqual(response.status_code, 200, data)
        self.assertEqual((self.confirmed.state, self.confirmed.cancelled_by), ("cancelled", "merchant"))
        self.assertEqual(data["appointment"]["cancel_reason"], "Provider ill")

    @freeze_time(NOW)
    def test_employees_without_booking_rights_and_other_companies_get_nothing(self):
        before = self.states()
        for method, path in (("GET", "/appointments"), ("GET", f"/appointments/{self.request.id}"),
                             ("POST", f"/appointments/{self.request.id}/approve")):
            response, data = self.call(method, path, self.key_employee)
            self.assertError(response, data, 403, "forbidden")
        # another company's staff: its own appointments only; ours do not exist for them
        response, data = self.call("GET", "/appointments", self.key_staff_b)
        self.assertEqual([a["id"] for a in data["appointments"]], self.appointment_b.ids)
        response, data = self.call("GET", f"/appointments/{self.request.id}", self.key_staff_b)
        self.assertError(response, data, 404, "not_found")
        for action in ("approve", "decline", "cancel", "move"):
            response, data = self.act(self.request, action, self.key_staff_b, {"start": "2025-06-02T12:00:00Z"})
            self.assertError(response, data, 404, "not_found")
        # and ours cannot reach theirs
        response, data = self.act(self.appointment_b, "approve", self.key_staff)
        self.assertError(response, data, 404, "not_found")
        self.assertEqual(self.states(), before)
        response, data = self.act(self.appointment_b, "approve", self.key_staff_b)
        self.assertEqual((response.status_code, self.appointment_b.sudo().state), (200, "confirmed"), data)

    # === ALLOW-LIST AND GUARDS === #

    @freeze_time(NOW)
    def test_actions_outside_the_allow_list_are_400(self):
        before = self.states()
        for action in ("unlink", "write", "action_approve", "action_merge_customer", "sudo", "APPROVE",
                       "_transition", "action_register_payment", "x" * 300):
            with self.subTest(action=action[:20]):
                response, data = self.act(self.request, action, self.key_manager, {"reason": "x"})
                self.assertError(response, data, 400, "action_not_allowed")
                self.assertIn("approve", data["allowed"])
        self.assertEqual(self.states(), before)
        self.assertTrue(self.request.exists())

    @freeze_time(NOW)
    def test_actions_go_through_the_backends_guards(self):
        before = self.states()
        response, data = self.act(self.confirmed, "approve", self.key_staff)
        self.assertError(response, data, 409, "invalid_state")
        self.assertIn("cancel", data["allowed"])
        response, data = self.act(self.confirmed, "no_show", self.key_staff)  # it has not started
        self.assertError(response, data, 409, "invalid_state")
        response, data = self.act(self.request, "complete", self.key_staff)
        self.assertError(response, data, 409, "invalid_state")
        # moves: the slot must be free and within working time; a move needs its start
        response, data = self.act(self.confirmed, "move", self.key_staff)
        self.assertError(response, data, 400, "validation")
        self.assertIn("start", data["fields"])
        response, data = self.act(self.confirmed, "move", self.key_staff,
                                  {"start": "2025-06-02T08:00:00Z", "provider_id": self.provider_a.id})
        self.assertError(response, data, 409, "slot_unavailable")
        response, data = self.act(self.confirmed, "move", self.key_staff, {"start": "2025-06-02T20:00:00Z"})
        self.assertError(response, data, 409, "slot_unavailable")  # after hours
        self.assertEqual(self.states(), before, "refusals changed nothing")

    @freeze_time(NOW)
    def test_a_move_into_the_past_is_refused(self):
        response, data = self.act(self.confirmed, "move", self.key_staff, {"start": "2025-05-30T09:00:00Z"})
        self.assertError(response, data, 400, "validation")
        self.assertEqual(self.confirmed.start, self.at(14))

    @freeze_time(NOW)
    def test_a_customer_the_user_cannot_read_does_not_break_the_list(self):
        """A contact of another company on one of this company's bookings: listed, not a 400 with Odoo's text."""
        foreign = self.env["res.partner"].create({"name": "Fiona Foreign", "company_id": self.company_b.id})
        self.confirmed.sudo().partner_id = foreign
        response, data = self.call("GET", "/appointments", self.key_staff)
        self.assertEqual(response.status_code, 200, data)
        self.assertIn("Fiona Foreign", [row["customer"]["name"] for row in data["appointments"]])
        response, data = self.act(self.confirmed, "check_in", self.key_staff)
        self.assertNotIn("access", str(data).lower())

    @freeze_time(NOW)
    def test_a_body_of_unknown_length_is_not_read(self):
        response, data = self.call("POST", f"/appointments/{self.request.id}/approve", self.key_staff,
                                   raw=iter([b"{}"]), headers={"Content-Type": "application/json"})
        self.assertError(response, data, 411, "length_required")
        self.assertEqual(self.request.state, "pending")

    @freeze_time(NOW)
    def test_move_check_in_complete(self):
        response, data = self.act(self.confirmed, "move", self.key_staff, {"start": "2025-06-02T13:00:00+02:00"})
        self.assertEqual(response.status_code, 200, data)
        self.assertEqual(data["appointment"]["start"], "2025-06-02T11:00:00Z")
        self.assertEqual(self.confirmed.start, self.at(13))
        self.assertIn("Moved from", str(self.confirmed.message_ids.mapped("body")))
        with freeze_time(self.at(13)):
            response, data = self.act(self.confirmed, "check_in", self.key_staff)
            self.assertEqual((response.status_code, self.confirmed.state), (200, "checked_in"), data)
            self.assertEqual(data["appointment"]["actions"], ["complete"])
            response, data = self.act(self.confirmed, "complete", self.key_staff, {"charge_card": False})
            self.assertEqual((response.status_code, self.confirmed.state), (200, "done"), data)
        with freeze_time(self.at(17, day=MONDAY + self.days(1))):
            response, data = self.act(self.tuesday, "no_show", self.key_staff)
            self.assertEqual((response.status_code, self.tuesday.state), (200, "no_show"), data)

    @freeze_time(NOW)
    def test_list_by_day_state_and_provider(self):
        def listed(**params):
            query = "&".join(f"{name}={value}" for name, value in params.items())
            response, data = self.call("GET", f"/appointments?{query}", self.key_staff)
            self.assertEqual(response.status_code, 200, data)
            mine = self.request | self.confirmed | self.tuesday  # demo data may add others
            return [a["id"] for a in data["appointments"] if a["id"] in mine.ids]

        self.assertEqual(listed(date="2025-06-02"), (self.request | self.confirmed).ids)
        self.assertEqual(listed(date="2025-06-03"), self.tuesday.ids)
        self.assertEqual(listed(date="2025-06-04"), [])
        self.assertEqual(listed(state="pending"), self.request.ids)
        self.assertEqual(listed(provider_id=self.provider_a.id), (self.request | self.tuesday).ids)
        self.assertEqual(listed(date="2025-06-02", provider_id=self.provider_b.id), self.confirmed.ids)
        self.assertEqual(listed(provider_id=self.provider_b.id, limit=1), self.confirmed.ids)
        self.assertEqual(listed(provider_id=self.provider_a.id, limit=1, offset=1), self.tuesday.ids)
        for query, code in (("date=tomorrow", "validation"), ("state=lost", "validation"), ("limit=0", "validation"),
                            ("limit=1000", "validation"), ("provider_id=-1", "validation"),
                            ("company_id=2", "contract_mismatch")):
            with self.subTest(query=query):
                response, data = self.call("GET", f"/appointments?{query}", self.key_staff)
                self.assertError(response, data, 400, code)

    # === ATTACKS === #

    @freeze_time(NOW)
    def test_attack_keys(self):
        """No key, a wrong one, a huge one, another scheme, a revoked or expired key: 401, nothing done."""
        revoked = self._key(self.user_manager)
        self.env["res.users.apikeys"].sudo().search([("user_id", "=", self.user_manager.id)], order="id desc",
                                                    limit=1)._remove()
        scoped_elsewhere = self._key(self.user_manager, scope="rpc")
        before = self.states()
        for label, headers in (
            ("none", {}),
            ("empty bearer", {"Authorization": "Bearer "}),
            ("wrong key", {"Authorization": "Bearer " + "0" * 40}),
            ("huge key", {"Authorization": "Bearer " + "a" * 20000}),
            ("basic", {"Authorization": f"Basic {self.key_manager}"}),
            ("revoked", {"Authorization": f"Bearer {revoked}"}),
            ("other scope", {"Authorization": f"Bearer {scoped_elsewhere}"}),
            ("control characters", {"Authorization": "Bearer " + self.key_manager[:20] + "\t" + "1" * 19}),
        ):
            with self.subTest(label), self.assertNoLogs(level="ERROR"):
                response, data = self.call("POST", f"/appointments/{self.request.id}/approve", headers=headers)
                self.assertError(response, data, 401, "unauthorized")
                self.assertIn("Bearer", response.headers["WWW-Authenticate"])
        # a session cookie is no key: a signed-in manager's browser cannot act here
        self.authenticate("booking_manager", "booking_manager")
        response, data = self.call("POST", f"/appointments/{self.request.id}/approve")
        self.assertError(response, data, 401, "unauthorized")
        self.assertEqual(self.states(), before)

    @freeze_time(NOW)
    def test_attack_ids_and_bodies(self):
        """Foreign and absurd ids, malformed and huge bodies: 4xx, never 5xx, nothing written."""
        before = self.states()
        cases = [
            ("foreign id", "POST", f"/appointments/{self.appointment_b.id}/cancel", None, {"reason": "x"}, 404,
             "not_found"),
            ("unknown id", "POST", "/appointments/999999/approve", None, None, 404, "not_found"),
            ("id beyond integer", "GET", f"/appointments/{2**40}", None, None, 404, None),
            ("negative id", "GET", "/appointments/-1", None, None, 404, None),
            ("malformed JSON", "POST", f"/appointments/{self.request.id}/decline", "{reason:", None, 400,
             "malformed_json"),
            ("array body", "POST", f"/appointments/{self.request.id}/decline", "[]", None, 400,
             "contract_mismatch"),
            ("unknown field", "POST", f"/appointments/{self.request.id}/decline", None, {"state": "done"}, 400,
             "contract_mismatch"),
            ("reason of the wrong type", "POST", f"/appointments/{self.request.id}/decline", None, {"reason": 5},
             400, "contract_mismatch"),
            ("reason too long", "POST", f"/appointments/{self.request.id}/decline", None, {"reason": "x" * 501},
             400, "validation"),
            ("reason with NUL", "POST", f"/appointments/{self.request.id}/decline", None, {"reason": "a\u0000"},
             400, "validation"),
            ("huge body", "POST", f"/appointments/{self.request.id}/decline", None, {"reason": "x" * 100_000},
             413, "payload_too_large"),
            ("deep body", "POST", f"/appointments/{self.request.id}/decline", "[" * 5000 + "]" * 5000, None, 400,
             "malformed_json"),
            ("naive start", "POST", f"/appointments/{self.confirmed.id}/move", None,
             {"start": "2025-06-02T13:00:00"}, 400, "validation"),
            ("year 9999", "POST", f"/appointments/{self.confirmed.id}/move", None,
             {"start": "9999-12-31T23:59:59Z"}, 400, "validation"),
            ("provider of another company", "POST", f"/appointments/{self.confirmed.id}/move", None,
             {"start": "2025-06-02T11:00:00Z", "provider_id": self.page_b.provider_ids.id}, 400, "validation"),
            ("GET on an action", "GET", f"/appointments/{self.request.id}/approve", None, None, 405,
             "method_not_allowed"),
        ]
        for label, method, path, raw, body, status, code in cases:
            with self.subTest(label), self.assertNoLogs(level="ERROR"):
                response, data = self.call(method, path, self.key_manager, body=body, raw=raw)
                self.assertEqual(response.status_code, status, response.text[:300])
                if code:
                    self.assertError(response, data, status, code)
        response, data = self.call("POST", f"/appointments/{self.request.id}/decline", self.key_manager,
                                   raw='{"reason": "x"}', headers={"Content-Type": "text/plain"})
        self.assertError(response, data, 415, "unsupported_media_type")
        self.assertEqual(self.states(), before)

    def test_states_of_the_contract_are_the_models(self):
        """The contract's list of states (pure Python) is the model's: a new state cannot be forgotten."""
        selection = [key for key, _label in self.env["booking.appointment"]._fields["state"].selection]
        self.assertEqual(schemas.APPOINTMENT_STATES, selection)
