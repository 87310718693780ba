"""Issue 26, a guest's booking: what its rate limit, contact and reference cost, and that they keep their rules.

- the rate limit: two statements (the lock, then the count and the hit), still refusing at the limit, and a
  request waiting for the lock counts the hits committed meanwhile;
- the guest's contact: the "possibly the same as" lookup, the INSERT and the UPDATE of what needs its id;
  the same values as a contact created the ordinary way; never an existing customer (DESIGN.md invariant 8);
- the reference: one ``nextval``, formatted as the sequence says at that moment (an edit is followed at once).
"""

import threading
import time

import psycopg2
from freezegun import freeze_time

from odoo import api
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..const import ATTEMPTS_FACTOR
from ..exceptions import BookingActionRefused
from .common import MONDAY
from .common import NOW
from .common import BookingCommon
from .common import TwoTransactionCase
from .common import local_to_utc
from .test_write_path import QueryLog


def _normalized(queries):
    return [" ".join(query.split()) for query in queries]


@tagged("post_install", "-at_install")
class TestGuestRateLimitCost(BookingCommon):
    """The limit's own transaction: two statements, the same answers, alone or racing."""

    def committed(self, sql, *params):
        with self.registry.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None

    def forget(self, pattern):
        self.addCleanup(self.committed, "DELETE FROM booking_rate_limit WHERE key LIKE %s", pattern)

    def test_a_page_write_takes_two_statements(self):
        self.page.write({"rate_limit_count": 2, "rate_limit_minutes": 10})
        self.env.flush_all()
        self.forget("%:203.0.113.7/32")
        RateLimit = self.env["booking.rate.limit"].sudo()
        RateLimit._client_network("203.0.113.7")  # the prefix parameters cached, as in a running worker
        with QueryLog().recording() as log:
            allowed, retry_after, hit_id = RateLimit._take_page_write(self.page, "203.0.113.7")
        self.assertEqual((allowed, retry_after), (True, 0))
        queries = _normalized(log.queries)
        self.assertEqual(len(queries), 2, queries)
        self.assertIn("pg_advisory_xact_lock", queries[0])
        self.assertIn("set_config('synchronous_commit', 'off', true)", queries[0],
                      "its commit does not wait for the disk, and costs no statement of its own")
        self.assertIn("INSERT INTO booking_rate_limit", queries[1])
        self.assertEqual(self.committed("SELECT key FROM booking_rate_limit WHERE id = %s", hit_id),
                         [(f"page:{self.page.id}:203.0.113.7/32",)])
        # refused, then refused without counting once the attempts are used up: still two statements
        results = [RateLimit._take_page_write(self.page, "203.0.113.7") for _ in range(2 * ATTEMPTS_FACTOR)]
        self.assertEqual([allowed for allowed, _retry, _hit in results], [True] + [False] * (2 * ATTEMPTS_FACTOR - 1))
        with QueryLog().recording() as log:
            allowed, retry_after, hit_id = RateLimit._take_page_write(self.page, "203.0.113.7")
        self.assertEqual((allowed, hit_id), (False, None))
        self.assertTrue(0 < retry_after <= 600)
        self.assertEqual(len(log.queries), 2)
        counts = self.committed("SELECT key, count(*) FROM booking_rate_limit WHERE key LIKE %s GROUP BY key",
                                "%:203.0.113.7/32")
        self.assertEqual(dict(counts), {f"page-attempts:{self.page.id}:203.0.113.7/32": 2 * ATTEMPTS_FACTOR,
                                        f"page:{self.page.id}:203.0.113.7/32": 2})

    def test_a_key_takes_two_statements_and_refuses_at_the_limit(self):
        self.forget("cost-test:%")
        RateLimit = self.env["booking.rate.limit"].sudo()
        with QueryLog().recording() as log:
            first = RateLimit._take("cost-test:a", 3, 10)
        self.assertEqual(len(log.queries), 2, log.queries)
        results = [first] + [RateLimit._take("cost-test:a", 3, 10) for _ in range(3)]
        self.assertEqual([allowed for allowed, _retry, _hit in results], [True, True, True, False])
        self.assertTrue(all(hit for allowed, _retry, hit in results if allowed))
        self.assertIsNone(results[-1][2])
        self.assertTrue(0 < results[-1][1] <= 600)
        self.assertEqual(self.committed("SELECT count(*) FROM booking_rate_limit WHERE key = 'cost-test:a'"), [(3,)],
                         "a refused hit is not recorded")
        RateLimit._give_back(results[0][2])
        self.assertTrue(RateLimit._take("cost-test:a", 3, 10)[0], "a hit given back frees its place")

    def _waiting_for_lock(self, timeout=10):
        """Whether another transaction waits for an advisory lock (polled until ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.committed("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
                              "(SELECT oid FROM pg_database WHERE datname = current_database())"):
                return True
            time.sleep(0.05)
        return False

    def test_a_request_waiting_for_the_lock_counts_the_hits_committed_meanwhile(self):
        """Another transaction holds the key's lock and adds the last allowed hits: the waiter is refused.

        It would be allowed if its count read a snapshot taken before the
        lock was granted (REPEATABLE READ), or without the lock.
        """
        self.forget("cost-race:%")
        key, limit = "cost-race:b", 2
        results = []

        # the waiter's environment is built here: Odoo's test runner holds the registry lock, which a new
        # thread could not take (see TwoTransactionCase.run_blocked)
        waiter_cr = self.registry.cursor()
        self.addCleanup(waiter_cr.close)
        RateLimit = api.Environment(waiter_cr, self.env.uid, {})["booking.rate.limit"].sudo()

        def take():
            results.append(RateLimit._take(key, limit, 10))

        with self.registry.cursor() as holder:
            holder.execute(SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", f"booking.rate.limit:{key}"))
            holder.execute(SQL("INSERT INTO booking_rate_limit (key, hit_at) VALUES (%s, now() AT TIME ZONE 'UTC'), "
                               "(%s, now() AT TIME ZONE 'UTC')", key, key))
            waiter = threading.Thread(target=take)
            waiter.start()
            self.assertTrue(self._waiting_for_lock(), "the request waits for the key's lock")
            holder.commit()
        waiter.join(30)
        self.assertFalse(waiter.is_alive())
        self.assertEqual([allowed for allowed, _retry, _hit in results], [False])
        self.assertEqual(self.committed("SELECT count(*) FROM booking_rate_limit WHERE key = %s", key), [(limit,)])

    def test_concurrent_requests_of_one_client_get_the_limit_and_no_more(self):
        self.forget("%:203.0.113.9/32")
        self.page.write({"rate_limit_count": 3, "rate_limit_minutes": 10})
        page = self.page.sudo()
        self.assertEqual((page.rate_limit_count, page.rate_limit_minutes), (3, 10), "read here, not in the threads")
        barrier = threading.Barrier(8)
        results = []

        def take(RateLimit):
            barrier.wait(10)
            results.append(RateLimit._take_page_write(page, "203.0.113.9")[0])

        # the environments are built here: Odoo's test runner holds the registry lock (see run_blocked)
        models = []
        for _index in range(8):
            cr = self.registry.cursor()
            self.addCleanup(cr.close)
            models.append(api.Environment(cr, self.env.uid, {})["booking.rate.limit"].sudo())
            models[-1]._client_network("203.0.113.9")  # its parameters read before the race
        threads = [threading.Thread(target=take, args=(RateLimit,)) for RateLimit in models]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(sorted(results), [False] * 5 + [True] * 3)
        self.assertEqual(self.committed("SELECT count(*) FROM booking_rate_limit WHERE key = %s",
                                        f"page:{self.page.id}:203.0.113.9/32"), [(3,)])


@tagged("post_install", "-at_install")
class TestGuestContactCost(BookingCommon):
    """A guest's contact: three statements, the values of an ordinary contact, never someone else's."""

    CUSTOMER = {"name": "Gina Guest", "email": "Gina@Example.com", "phone": "+33 6 11 22 33 44"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.page.allow_guest_booking = True
        cls.Partner = cls.env["res.partner"].with_user(cls.env.ref("base.public_user"))

    def create_guest(self, customer=None):
        return self.Partner._booking_create_guest(self.page, dict(customer or self.CUSTOMER))

    def test_a_guests_contact_costs_three_statements(self):
        self.create_guest({"name": "Warm", "email": "warm@example.com", "phone": "+33 6 99 88 77 66"})
        self.env.flush_all()
        # no user in the cache: neither the request's (which company is current) nor the superuser (partner_share)
        self.env["res.users"].invalidate_model()
        self.env.cr.now()  # the transaction's time: read once per transaction whatever creates what
        with QueryLog().recording() as log:
            guest = self.create_guest()
            self.env.flush_all()
        queries = _normalized(log.queries)
        self.assertEqual(len(queries), 3, "\n".join(queries))
        self.assertTrue(queries[0].startswith('SELECT "res_partner"."id" FROM "res_partner"'), "the same-as lookup")
        self.assertTrue(queries[1].startswith('INSERT INTO "res_partner"'))
        self.assertTrue(queries[2].startswith('UPDATE "res_partner"'), "what needs the new id")
        self.assertIn('"commercial_partner_id"', queries[2])
        self.assertNotIn('"partner_share"', queries[2], "known at the INSERT, not computed again")
        self.assertNotIn('"phone_sanitized"', queries[2], "known at the INSERT, not computed again")
        self.assertTrue(guest.booking_unverified)

    def test_a_guests_contact_holds_what_an_ordinary_contact_would(self):
        guest = self.create_guest()
        self.env.flush_all()
        ordinary = self.env["res.partner"].sudo().create({
            "name": guest.name, "email": guest.email, "phone": guest.phone, "company_id": guest.company_id.id,
            "lang": guest.lang})
        self.env.flush_all()
        self.env.invalidate_all()
        computed = [name for name, field in guest._fields.items()
                    if field.store and field.compute and field.type not in ("one2many", "many2many", "binary")]
        if "peppol_eas" in guest._fields:
            self.assertIn("peppol_eas", computed, "the editable computed fields of other modules are compared too")
        for name in computed:
            if name == "commercial_partner_id":
                self.assertEqual(guest.commercial_partner_id, guest)
                continue
            with self.subTest(field=name):
                self.assertEqual(guest.sudo()[name], ordinary[name])
        self.assertEqual((guest.email_normalized, guest.phone_sanitized, guest.partner_share, guest.complete_name),
                         ("gina@example.com", "+33611223344", True, "Gina Guest"))
        # what the database holds, not only the cache
        self.env.cr.execute(SQL("SELECT email_normalized, phone_sanitized, partner_share, commercial_partner_id "
                                "FROM res_partner WHERE id = %s", guest.id))
        self.assertEqual(self.env.cr.fetchone(), ("gina@example.com", "+33611223344", True, guest.id))

    def test_the_same_guest_is_looked_up_with_the_key_in_one_statement(self):
        guest = self.create_guest()
        Partner = self.env["res.partner"]
        Partner._booking_guest_key(self.page, self.CUSTOMER)  # the page's country read, as by the request
        self.env.flush_all()
        keys = self.env["booking.serial.lock"].search_count([])
        with QueryLog().recording() as log:
            found = Partner._booking_same_guests(self.page, {**self.CUSTOMER, "name": " gina GUEST "},
                                                 serialize=True)
        self.assertEqual(found, guest, "the same details, name case aside")
        queries = _normalized(log.queries)
        self.assertEqual(len(queries), 1, queries)
        self.assertTrue(queries[0].startswith("WITH serial_lock AS ( INSERT INTO booking_serial_lock"))
        self.assertEqual(self.env["booking.serial.lock"].search_count([]), keys + 1, "the key is taken")
        self.assertFalse(Partner._booking_same_guests(self.page, {**self.CUSTOMER, "name": "Gina Other"},
                                                      serialize=True))
        self.assertFalse(Partner._booking_same_guests(self.page, {**self.CUSTOMER, "phone": "+33 6 00 00 00 01"}))
        self.assertEqual(self.env["booking.serial.lock"].search_count([]), keys + 2, "another key for other details")

    def test_a_guest_never_changes_nor_becomes_an_existing_customer(self):
        """Invariant 8: the customer verified for the e-mail (else the phone) is pointed at, never touched."""
        Partner = self.env["res.partner"].sudo()
        by_phone = Partner.create({"name": "Phil Phone", "phone": "+33611223344"})
        by_phone._booking_verify(phone="+33611223344")
        by_email = Partner.create({"name": "Emma Email", "email": "gina@example.com"})
        by_email._booking_verify(email="gina@example.com")
        holder = Partner.create({"name": "Unproved", "email": "holder@example.com", "booking_unverified": True})
        self.env.flush_all()
        before = {p: (p.name, p.email, p.phone, p.write_date, p.booking_verified_email, p.booking_verified_phone)
                  for p in by_phone | by_email | holder}

        guest = self.create_guest()
        self.assertNotIn(guest, by_phone | by_email | holder)
        self.assertEqual(guest.booking_same_as_id, by_email, "the e-mail's customer first")
        guest_by_phone = self.create_guest({"name": "Gina Guest", "phone": "+33 6 11 22 33 44"})
        self.assertEqual(guest_by_phone.booking_same_as_id, by_phone)
        guest_both_other = self.create_guest({**self.CUSTOMER, "email": "nobody@example.com"})
        self.assertEqual(guest_both_other.booking_same_as_id, by_phone, "else the phone's")
        holders_address = self.create_guest({"name": "Gina Guest", "email": "holder@example.com"})
        self.assertFalse(holders_address.booking_same_as_id, "a holder who proved nothing is nobody's customer")
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(
            {p: (p.name, p.email, p.phone, p.write_date, p.booking_verified_email, p.booking_verified_phone)
             for p in by_phone | by_email | holder}, before, "nothing of theirs changed")
        guests = guest | guest_by_phone | guest_both_other | holders_address
        self.assertTrue(all(guests.mapped("booking_unverified")))
        self.assertFalse(any(guests.mapped("booking_verified_email")) or any(guests.mapped("booking_verified_phone")))

    def test_another_merchants_customer_is_not_pointed_at(self):
        other = self.env["res.company"].create({"name": "Other Salon"})
        Partner = self.env["res.partner"].sudo()
        theirs = Partner.create({"name": "Emma Email", "email": "gina@example.com", "company_id": other.id})
        theirs._booking_verify(email="gina@example.com")
        self.assertFalse(self.create_guest().booking_same_as_id)

    def test_visitors_still_cannot_write_what_was_proved(self):
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.user_portal_1).create(
                {"name": "Mallory", "booking_verified_email": "carla@example.com"})


@tagged("post_install", "-at_install")
class TestReferenceCost(BookingCommon):
    """A booking's reference: one ``nextval``, and the sequence as it is configured at that moment."""

    def setUp(self):
        super().setUp()
        self.sequence = self.env.ref("self_serve_booking.seq_booking_appointment")
        self.Appointment = self.env["booking.appointment"]

    def next_reference(self, page=None):
        """The reference of a booking of ``page`` (of its company)."""
        return self.Appointment._get_next_reference({"page_id": (page or self.page).id})

    @freeze_time(NOW)
    def test_the_reference_is_one_nextval(self):
        self.next_reference()  # the sequence's format cached, as in a running worker
        self.env.flush_all()
        with QueryLog().recording() as log:
            reference = self.next_reference()
        self.assertEqual(_normalized(log.queries), ["SELECT nextval(%s)"])
        self.assertRegex(reference, r"^BK25-\d{5}$")

    @freeze_time(NOW)
    def test_the_reference_follows_the_sequence_as_edited(self):
        first = self.next_reference()
        self.assertRegex(first, r"^BK25-\d{5}$")
        number = int(first.split("-")[1])
        self.sequence.write({"prefix": "SALON/%(year)s/", "padding": 7, "suffix": "-X"})
        self.assertEqual(self.next_reference(), f"SALON/2025/{number + 1:07d}-X", "followed at once")
        self.sequence.write({"number_next_actual": 500, "number_increment": 10})
        self.assertEqual(self.next_reference(), "SALON/2025/0000500-X")
        self.assertEqual(self.next_reference(), "SALON/2025/0000510-X")
        # the same references as Odoo's next_by_code, with its own number
        self.assertEqual(self.env["ir.sequence"].next_by_code("booking.appointment"), "SALON/2025/0000520-X")
        self.assertEqual(self.next_reference(), "SALON/2025/0000530-X")

    @freeze_time(NOW)
    def test_a_companys_own_sequence_wins_and_is_forgotten_once_removed(self):
        other = self.env["res.company"].create({"name": "Other Salon"})

        def others_reference():
            return self.Appointment._get_next_reference({"page_id": self.page.id, "company_id": other.id})

        self.assertRegex(others_reference(), r"^BK25-", "the shared sequence")
        own = self.env["ir.sequence"].create({
            "name": "Other's bookings", "code": "booking.appointment", "prefix": "OT-", "padding": 3,
            "company_id": other.id})
        self.assertEqual(others_reference(), "OT-001", "the company's own, at once")
        self.assertRegex(self.next_reference(), r"^BK25-", "not another company's")
        own.active = False
        self.assertRegex(others_reference(), r"^BK25-", "an archived sequence is not used")
        own.active = True
        self.assertEqual(others_reference(), "OT-002")
        own.unlink()
        self.assertRegex(others_reference(), r"^BK25-")

    @freeze_time(NOW)
    def test_a_sequence_without_gaps_or_by_date_range_is_drawn_by_odoo(self):
        self.sequence.write({"implementation": "no_gap", "prefix": "NG-", "number_next_actual": 7})
        self.assertEqual(self.next_reference(), "NG-00007")
        self.assertEqual(self.next_reference(), "NG-00008")
        self.sequence.write({"implementation": "standard", "use_date_range": True, "prefix": "DR%(range_year)s-"})
        self.assertRegex(self.next_reference(), r"^DR2025-\d{5}$")
        self.sequence.code = "booking.appointment.old"
        self.assertEqual(self.next_reference(), "/", "no sequence: the ORM's default name")

    def test_a_change_is_signalled_to_the_other_workers(self):
        self.next_reference()
        self.addCleanup(self.registry.clear_cache)  # what this test's transaction cached goes with its rollback
        self.registry.cache_invalidated.clear()
        self.sequence.write({"prefix": "NEW-"})
        self.assertIn("default", self.registry.cache_invalidated, "the other workers clear theirs")
        self.registry.cache_invalidated.clear()
        self.sequence.write({"number_next_actual": 42})
        self.assertNotIn("default", self.registry.cache_invalidated, "the number is not cached: nothing to clear")

    @freeze_time(NOW)
    def test_a_booking_gets_its_reference(self):
        appointment = self.Appointment._book_online(
            self.page, self.service, self.provider_a, local_to_utc(MONDAY, 10), partner=self.customer,
            source="website")
        self.assertRegex(appointment.name, r"^BK25-\d{5}$")


@tagged("post_install", "-at_install")
class TestSameGuestRace(TwoTransactionCase):
    """One guest's request sent twice at once (a double tap), for the two providers of one time: one booking.

    The second request waits for the first one's serialization key, taken by
    the statement that looks for the same guest; once the first commits, the
    second is refused by PostgreSQL (Odoo retries it) and, run again, finds
    the first one's booking.
    """

    GUEST = {"name": "Rita Race", "email": "rita.race@example.com", "phone": "+33 6 12 34 56 78"}

    def _commit_scenario(self, env):
        _page, ids = self._create_race_page(env, "Guest race", "guest-race-page", range(7), ["One", "Two"],
                                           page_vals={"allow_guest_booking": True})
        return dict(ids, partners=[])

    def _remove_scenario(self):
        result = super()._remove_scenario()
        with self.committed_env() as env:
            env["res.partner"].with_context(active_test=False).search(
                [("email", "=", self.GUEST["email"])]).unlink()
        return result

    def _book(self, env, provider_index):
        return env["booking.appointment"]._book_online(
            env["booking.page"].browse(self.ids["page"]), env["booking.service"].browse(self.ids["service"]),
            env["booking.provider"].browse(self.ids["providers"][provider_index]), local_to_utc(MONDAY, 10),
            customer=dict(self.GUEST), source="website")

    def _race(self, first_commits):
        outcome = {}

        def second(env_b):
            try:
                self._book(env_b, 1)
                env_b.cr.commit()
                outcome["second"] = "created"
            except BookingActionRefused as error:
                outcome["second"] = error.code
            except psycopg2.errors.SerializationFailure:
                outcome["second"] = "retry"
            except Exception as error:
                outcome["second"] = repr(error)

        self.run_blocked(lambda env_a: self._book(env_a, 0), second, first_commits=first_commits,
                         wait_message="the second request waits for the first one's key")
        return outcome.get("second")

    @freeze_time(NOW)
    @mute_logger("odoo.sql_db")
    def test_the_second_request_finds_the_first_ones_booking(self):
        self.assertEqual(self._race(first_commits=True), "retry")
        with self.committed_env() as env, self.assertRaises(BookingActionRefused) as refused:
            self._book(env, 1)
        self.assertEqual(refused.exception.code, "already_booked")
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM booking_appointment WHERE page_id = %s", [self.ids["page"]])
            self.assertEqual(cr.fetchone()[0], 1)

    @freeze_time(NOW)
    @mute_logger("odoo.sql_db")
    def test_the_second_request_books_when_the_first_is_undone(self):
        self.assertEqual(self._race(first_commits=False), "created")
