import psycopg2
from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import SlotUnavailableError
from ..models.booking_appointment import EXCLUSION_CONSTRAINT
from .common import MONDAY
from .common import NOW
from .common import BookingCommon
from .common import TwoTransactionCase
from .common import local_to_utc


class TestExclusionConstraint(BookingCommon):
    """No double booking, ever (DESIGN.md section 4.1), through the ORM."""

    def test_overlap_is_refused_with_a_clean_error(self):
        with freeze_time(NOW):
            self._book(self.at(10))
            with self.assertRaises(SlotUnavailableError) as caught:
                self._book(self.at(10, 30))
        self.assertIsInstance(caught.exception, ValidationError)
        self.assertIn("no longer available", str(caught.exception))
        # the transaction is still usable: the violation was confined to a savepoint
        self.assertEqual(self.env["booking.appointment"].search_count([("provider_id", "=", self.provider_a.id)]), 1)

    def test_buffers_are_part_of_the_range(self):
        with freeze_time(NOW):
            first = self._book(self.at(10), service=self.service_buffered)  # busy 9:45-10:45
            self.assertEqual(first.busy_start, self.at(9, 45))
            self.assertEqual(first.busy_stop, self.at(10, 45))
            with self.assertRaises(SlotUnavailableError):
                self._book(self.at(10, 40))  # plain service: busy 10:40-11:40
            self._book(self.at(10, 45))  # touching ranges do not overlap
            with self.assertRaises(SlotUnavailableError):
                self._book(self.at(11, 45), service=self.service_buffered)  # busy 11:30-12:30 meets 10:45-11:45

    def test_other_provider_and_released_states_do_not_block(self):
        with freeze_time(NOW):
            first = self._book(self.at(10))
            self._book(self.at(10), provider=self.provider_b)
            for state in ("cancelled", "rejected", "expired", "no_show"):
                with self.subTest(state=state):
                    first.sudo().state = state
                    second = self._book(self.at(10))
                    second.sudo().state = "cancelled"

    def test_moving_onto_a_taken_slot_is_refused(self):
        with freeze_time(NOW):
            self._book(self.at(10))
            other = self._book(self.at(14))
            with self.assertRaises(SlotUnavailableError):
                other.write({"start": self.at(10, 30)})
            with self.assertRaises(SlotUnavailableError):
                other.write({"provider_id": self.provider_a.id, "start": self.at(9, 30)})
            self.assertEqual(other.start, self.at(14), "a refused move changes nothing")

    def test_reviving_a_released_appointment_onto_a_taken_slot_is_refused(self):
        with freeze_time(NOW):
            old = self._book(self.at(10))
            old.action_cancel()
            self._book(self.at(10))
            with self.assertRaises(SlotUnavailableError):
                old.sudo().write({"state": "confirmed"})

    def test_constraint_is_in_the_database_and_survives_init(self):
        Appointment = self.env["booking.appointment"]

        def definition():
            self.env.cr.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", [EXCLUSION_CONSTRAINT]
            )
            return [row[0] for row in self.env.cr.fetchall()]

        [original] = definition()
        self.assertIn("EXCLUDE USING gist", original)
        Appointment.init()  # what -u runs
        self.assertEqual(definition(), [original])
        # an outdated constraint (other states) is replaced on upgrade
        self.env.cr.execute(f"COMMENT ON CONSTRAINT {EXCLUSION_CONSTRAINT} ON booking_appointment IS 'states:old'")
        Appointment.init()
        self.assertEqual(definition(), [original])
        self.env.cr.execute(f"ALTER TABLE booking_appointment DROP CONSTRAINT {EXCLUSION_CONSTRAINT}")
        Appointment.init()
        self.assertEqual(definition(), [original])


@tagged("-at_install", "post_install")
class TestExclusionConstraintConcurrency(TwoTransactionCase):
    """Two transactions booking the same slot at once: PostgreSQL decides."""

    def _commit_scenario(self, env):
        _page, ids = self._create_race_page(env, "Race", "race-page-concurrency", range(7), ["Racer"])
        partners = env["res.partner"].create([{"name": "Racer one"}, {"name": "Racer two"}])
        return dict(ids, partners=partners.ids)

    def _vals(self, partner_index):
        return {
            "page_id": self.ids["page"],
            "service_id": self.ids["service"],
            "provider_id": self.ids["provider"],
            "partner_id": self.ids["partners"][partner_index],
            "start": local_to_utc(MONDAY, 10),
        }

    def _create_in_new_transaction(self, partner_index):
        """What Odoo's request or cron retry does: a fresh transaction, same booking."""
        with self.committed_env() as env:
            try:
                env["booking.appointment"].create(self._vals(partner_index))
            except SlotUnavailableError:
                return "refused"
            return "created"

    def _race(self, first_commits):
        outcome = {}

        def second_booking(env_b):
            try:
                env_b["booking.appointment"].create(self._vals(1))
                env_b.cr.commit()
                outcome["second"] = "created"
            except SlotUnavailableError:
                outcome["second"] = "refused"
            except psycopg2.errors.SerializationFailure:
                # REPEATABLE READ: the winner's row is not in our snapshot;
                # Odoo retries such requests and cron jobs from the start
                outcome["second"] = "retry"
            except Exception as error:
                outcome["second"] = repr(error)

        _first, worker = self.run_blocked(
            lambda env_a: env_a["booking.appointment"].create(self._vals(0)),  # inserted, not committed yet
            second_booking, first_commits=first_commits,
            wait_message="the second insert must wait for the first transaction")
        self.assertFalse(worker.is_alive())
        return outcome["second"]

    @mute_logger("odoo.sql_db")
    def test_second_transaction_is_refused_when_the_first_commits(self):
        first_try = self._race(first_commits=True)
        self.assertIn(first_try, ("refused", "retry"))
        if first_try == "retry":
            self.assertEqual(self._create_in_new_transaction(1), "refused")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM booking_appointment WHERE provider_id = %s AND state = 'confirmed'",
                [self.ids["provider"]],
            )
            self.assertEqual(cr.fetchone()[0], 1)

    @mute_logger("odoo.sql_db")
    def test_second_transaction_gets_the_slot_when_the_first_rolls_back(self):
        self.assertEqual(self._race(first_commits=False), "created")

    @mute_logger("odoo.sql_db")
    def test_reschedule_race_keeps_the_original_booking(self):
        """Moving to a time another transaction is booking: the move fails, the original stays.

        A move is one UPDATE of the same row, so until it commits the old time
        is still held; when it loses, nothing of the booking has changed.
        """
        with self.committed_env() as env:
            moving_id = env["booking.appointment"].create(dict(self._vals(1), start=local_to_utc(MONDAY, 9))).id
        outcome = {}

        def move(env_b):
            try:
                env_b["booking.appointment"].browse(moving_id).write({"start": local_to_utc(MONDAY, 10)})
                env_b.cr.commit()
                outcome["move"] = "moved"
            except (SlotUnavailableError, psycopg2.errors.SerializationFailure):
                outcome["move"] = "refused"

        self.run_blocked(lambda env_a: env_a["booking.appointment"].create(self._vals(0)), move)  # 10:00
        self.assertEqual(outcome["move"], "refused")
        with self.committed_env() as env:
            original = env["booking.appointment"].browse(moving_id)
            self.assertEqual((original.start, original.state), (local_to_utc(MONDAY, 9), "confirmed"))
