import json

import psycopg2
from freezegun import freeze_time

from odoo.tests import tagged

from .common import MONDAY
from .common import NOW
from .common import TwoTransactionCase
from .common import local_to_utc


@tagged("-at_install", "post_install")
class TestIdempotencyConcurrency(TwoTransactionCase):
    """Two requests with one Idempotency-Key at once, through two database cursors: one booking.

    What the API route does (``booking.idempotency.key._call_once`` around the
    booking), in two transactions as two workers would run them.
    """

    KEY = "0b8f3c2e-2f7d-4b8e-9a51-concurrent"

    def _commit_scenario(self, env):
        _page, ids = self._create_race_page(env, "Idem", "idempotency-race", range(7), ["Idem one", "Idem two"],
                                            service_vals={"is_published": True}, page_vals={"min_notice_hours": 0})
        return dict(ids, partners=[])

    def _remove_scenario(self):
        with self.committed_env() as env:
            partners = env["booking.appointment"].search([("page_id", "=", self.ids["page"])]).partner_id
            env["booking.idempotency.key"].search([("key", "=", self.KEY)]).unlink()
            self.ids["partners"] = partners.ids
        return super()._remove_scenario()

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

    @freeze_time(NOW)
    def test_concurrent_replays_book_once(self):
        outcome = {}

        def first_request(env_a):
            first, earlier = self._request(env_a)  # booked, not committed
            self.assertTrue(first)
            self.assertIsNone(earlier)
            return first.id

        def second_request(env_b):
            try:
                result, earlier = self._request(env_b)
                outcome["second"] = ("ran", result.id) if result else ("replayed", earlier.response)
                env_b.cr.commit()
            except psycopg2.errors.SerializationFailure:
                outcome["second"] = ("retry", None)  # what Odoo then does: the request again

        first_id, _worker = self.run_blocked(first_request, second_request,
                                             wait_message="the second request waits for the first")
        self.assertEqual(outcome["second"], ("retry", None))
        # Odoo retries the second request in a new transaction: it finds the first answer
        with self.committed_env() as env:
            result, earlier = self._request(env)
            self.assertIsNone(result)
            self.assertEqual((earlier.status, json.loads(earlier.response)), (201, {"booking": {"id": first_id}}))
        with self.committed_env() as env:
            self.assertEqual(env["booking.appointment"].search([("page_id", "=", self.ids["page"])]).ids,
                             [first_id], "one booking, not two (the second provider was free)")

    @freeze_time(NOW)
    def test_a_first_request_that_fails_releases_the_key(self):
        """The first request rolled back (a crash, a lost race): the key is free for the retry."""
        outcome = {}

        def second_request(env_b):
            result, _earlier = self._request(env_b)
            outcome["second"] = "ran" if result else "replayed"
            env_b.cr.commit()

        self.run_blocked(self._request, second_request, first_commits=False, check_wait=False)
        self.assertEqual(outcome["second"], "ran")
