import json
import threading
import time as clock

import psycopg2
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import MONDAY
from .common import NOW
from .common import PARIS
from .common import local_to_utc
from .common import remove_committed_scenario


@tagged("-at_install", "post_install")
class TestIdempotencyConcurrency(TransactionCase):
    """Two requests with one Idempotency-Key at once, through two database cursors: one booking.

    What the API route does (``booking.idempotency.key._call_once`` around the
    booking), in two transactions as two workers would run them. The data is
    committed through a cursor of its own (and removed at the end), because
    the test cursor's data is invisible to other transactions.
    """

    KEY = "0b8f3c2e-2f7d-4b8e-9a51-concurrent"

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            calendar = env["resource.calendar"].create({
                "name": "Idem hours", "tz": PARIS,
                "attendance_ids": [Command.clear()] + [
                    Command.create({"name": str(d), "dayofweek": str(d), "hour_from": 8, "hour_to": 18})
                    for d in range(7)
                ],
            })
            service = env["booking.service"].create({"name": "Idem cut", "duration_minutes": 60, "price": 10,
                                                     "is_published": True})
            providers = env["booking.provider"].create([
                {"name": name, "resource_calendar_id": calendar.id, "tz": PARIS,
                 "service_ids": [Command.set(service.ids)]}
                for name in ("Idem one", "Idem two")
            ])
            page = env["booking.page"].create({
                "name": "Idem page", "slug": "idempotency-race", "tz": PARIS, "min_notice_hours": 0,
                "service_ids": [Command.set(service.ids)], "provider_ids": [Command.set(providers.ids)],
            })
            self.ids = {
                "calendar": calendar.id, "service": service.id, "provider": providers[0].id,
                "resource": providers.resource_id.ids, "page": page.id, "partners": [],
                "extra_providers": providers[1:].ids,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partners = env["booking.appointment"].search([("page_id", "=", self.ids["page"])]).partner_id
            env["booking.idempotency.key"].search([("key", "=", self.KEY)]).unlink()
            self.ids["partners"] = partners.ids
        resources = self.ids.pop("resource")
        self.ids["resource"] = resources[0]
        remove_committed_scenario(self.registry, self.ids)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["booking.provider"].browse(self.ids["extra_providers"]).unlink()
            env["resource.resource"].browse(resources[1:]).unlink()

    # === THE REQUEST, AS THE ROUTE RUNS IT === #

    BODY = json.dumps({"service_id": "…", "start": "Monday 10:00", "customer": {"name": "Ivy Idem"}}).encode()

    def _request(self, env):
        """``_call_once`` around a booking of "any available" at 10:00, as the bookings route does."""
        page = env["booking.page"].browse(self.ids["page"])
        service = env["booking.service"].browse(self.ids["service"])

        def book():
            appointment = env["booking.appointment"]._book_online(
                page, service, env["booking.provider"], local_to_utc(MONDAY, 10),
                customer={"name": "Ivy Idem", "email": "ivy@example.com"}, source="api")
            return appointment, 201, json.dumps({"booking": {"id": appointment.id}}), None

        return env["booking.idempotency.key"]._call_once("/pages/idempotency-race/bookings public", self.KEY,
                                                          self.BODY, book)

    def _waiting_on_a_lock(self, cr, pid):
        cr.rollback()
        cr.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cr.fetchone()
        return bool(row and row[0] == "Lock")

    @freeze_time(NOW)
    def test_concurrent_replays_book_once(self):
        cr_a = self.registry.cursor()
        cr_b = self.registry.cursor()
        env_b = api.Environment(cr_b, SUPERUSER_ID, {})
        cr_b.execute("SELECT pg_backend_pid()")
        pid_b = cr_b.fetchone()[0]
        outcome = {}
        try:
            first, earlier = self._request(api.Environment(cr_a, SUPERUSER_ID, {}))  # booked, not committed
            self.assertTrue(first)
            self.assertIsNone(earlier)
            first_id = first.id

            def second_request():
                try:
                    result, earlier = self._request(env_b)
                    outcome["second"] = ("ran", result.id) if result else ("replayed", earlier.response)
                    cr_b.commit()
                except psycopg2.errors.SerializationFailure:
                    outcome["second"] = ("retry", None)  # what Odoo then does: the request again
                finally:
                    cr_b.rollback()

            worker = threading.Thread(target=second_request)
            worker.start()
            with self.registry.cursor() as probe:
                deadline = clock.monotonic() + 10
                while not self._waiting_on_a_lock(probe, pid_b) and clock.monotonic() < deadline:
                    clock.sleep(0.05)
                self.assertTrue(self._waiting_on_a_lock(probe, pid_b), "the second request waits for the first")
            cr_a.commit()
            worker.join(30)
        finally:
            cr_a.close()
            cr_b.close()
        self.assertEqual(outcome["second"], ("retry", None))
        # Odoo retries the second request in a new transaction: it finds the first answer
        with self.registry.cursor() as cr:
            result, earlier = self._request(api.Environment(cr, SUPERUSER_ID, {}))
            self.assertIsNone(result)
            self.assertEqual((earlier.status, json.loads(earlier.response)), (201, {"booking": {"id": first_id}}))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(env["booking.appointment"].search([("page_id", "=", self.ids["page"])]).ids,
                             [first_id], "one booking, not two (the second provider was free)")

    @freeze_time(NOW)
    def test_a_first_request_that_fails_releases_the_key(self):
        """The first request rolled back (a crash, a lost race): the key is free for the retry."""
        cr_a = self.registry.cursor()
        cr_b = self.registry.cursor()
        env_b = api.Environment(cr_b, SUPERUSER_ID, {})
        cr_b.execute("SELECT pg_backend_pid()")
        pid_b = cr_b.fetchone()[0]
        outcome = {}
        try:
            self._request(api.Environment(cr_a, SUPERUSER_ID, {}))

            def second_request():
                try:
                    result, _earlier = self._request(env_b)
                    outcome["second"] = "ran" if result else "replayed"
                    cr_b.commit()
                finally:
                    cr_b.rollback()

            worker = threading.Thread(target=second_request)
            worker.start()
            with self.registry.cursor() as probe:
                deadline = clock.monotonic() + 10
                while not self._waiting_on_a_lock(probe, pid_b) and clock.monotonic() < deadline:
                    clock.sleep(0.05)
            cr_a.rollback()
            worker.join(30)
        finally:
            cr_a.close()
            cr_b.close()
        self.assertEqual(outcome["second"], "ran")
