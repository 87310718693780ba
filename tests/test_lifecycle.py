from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NOW
from .common import BookingCommon

ALL_STATES = (
    "pending_payment", "pending", "confirmed", "checked_in", "done",
    "cancelled", "rejected", "expired", "no_show",
)


@tagged("at_install")
class TestLifecycle(BookingCommon):
    """Every transition of DESIGN.md section 3, legal and illegal."""

    # (method, args, legal source states, target state)
    TRANSITIONS = [
        ("action_approve", (), ("pending",), "confirmed"),
        ("action_decline", ("Fully booked",), ("pending",), "rejected"),
        ("action_check_in", (), ("confirmed",), "checked_in"),
        ("action_complete", (), ("checked_in",), "done"),
        ("action_cancel", ("Changed my mind", "customer"), ("pending_payment", "pending", "confirmed"), "cancelled"),
        ("action_no_show", (), ("confirmed",), "no_show"),
        ("_action_expire", ("Hold expired",), ("pending_payment", "pending"), "expired"),
        ("_action_payment_done", (), ("pending_payment",), "confirmed"),  # no approval needed for this service
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # no money here: payments have their own tests, the chatter counts stay exact
        cls.service.price = 0.0

    def _appointment_in(self, state, start_hour=10):
        appointment = self._book(self.at(start_hour))
        # place it in the state directly: the life cycle under test is the move *from* it
        appointment.sudo().write({"state": state})
        return appointment

    @freeze_time("2025-06-02 12:00:00")  # Monday 14:00 Paris, after the 10:00 start (no-show needs it)
    def test_every_legal_transition_moves_and_logs(self):
        for method, args, sources, target in self.TRANSITIONS:
            for source in sources:
                with self.subTest(method=method, source=source):
                    appointment = self._appointment_in(source)
                    before = len(appointment.message_ids)
                    getattr(appointment, method)(*args)
                    self.assertEqual(appointment.state, target)
                    self.assertEqual(len(appointment.message_ids), before + 1, "one chatter line per move")
                    self.assertIn(appointment._state_label(), str(appointment.message_ids[0].body))
                    if args and isinstance(args[0], str):
                        self.assertIn(args[0], str(appointment.message_ids[0].body))
                    # free the slot for the next sub-test
                    appointment.sudo().write({"state": "cancelled"})

    @freeze_time("2025-06-02 12:00:00")
    def test_every_illegal_transition_is_refused_and_changes_nothing(self):
        for method, args, sources, _target in self.TRANSITIONS:
            for state in ALL_STATES:
                if state in sources:
                    continue
                with self.subTest(method=method, state=state):
                    appointment = self._appointment_in(state)
                    messages = len(appointment.message_ids)
                    with self.assertRaises(UserError) as caught:
                        getattr(appointment, method)(*args)
                    self.assertIn(appointment.name, str(caught.exception))
                    self.assertEqual(appointment.state, state)
                    self.assertEqual(len(appointment.message_ids), messages)
                    appointment.sudo().write({"state": "cancelled"})

    def test_a_batch_moves_all_or_nothing(self):
        with freeze_time(NOW):
            first = self._book(self.at(9))
            second = self._book(self.at(11))
            second.sudo().state = "done"
            with self.assertRaises(UserError):
                (first | second).action_check_in()
            self.assertEqual(first.state, "confirmed")

    def test_no_show_only_after_the_start(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
            with self.assertRaisesRegex(UserError, "has not started yet"):
                appointment.action_no_show()
        with freeze_time("2025-06-02 08:30:00"):  # 10:30 Paris
            appointment.action_no_show()
        self.assertEqual(appointment.state, "no_show")

    def test_payment_done_goes_to_approval_or_confirmation(self):
        with freeze_time(NOW):
            needs_approval = self._book(self.at(9), service=self.service_approval)
            needs_approval.sudo().state = "pending_payment"
            needs_approval._action_payment_done()
            self.assertEqual(needs_approval.state, "pending")
            self.page.auto_confirm = True
            auto = self._book(self.at(14), service=self.service_approval)
            auto.sudo().state = "pending_payment"
            auto._action_payment_done()
            self.assertEqual(auto.state, "confirmed")
            self.assertTrue(auto.confirmed_at)

    def test_initial_state_follows_the_design(self):
        Appointment = self.env["booking.appointment"]
        self.assertEqual(Appointment._get_initial_state(self.page, self.service_deposit, "website"), "pending_payment")
        self.assertEqual(Appointment._get_initial_state(self.page, self.service_approval, "website"), "pending")
        self.assertEqual(Appointment._get_initial_state(self.page, self.service, "api"), "confirmed")
        self.assertEqual(Appointment._get_initial_state(self.page, self.service_deposit, "backend"), "confirmed")
        self.page.auto_confirm = True
        self.assertEqual(Appointment._get_initial_state(self.page, self.service_approval, "website"), "confirmed")

    def test_full_day_of_an_appointment(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10), service=self.service_approval, state="pending")
            appointment.with_user(self.user_staff).action_approve()
        with freeze_time("2025-06-02 07:55:00"):
            appointment.with_user(self.user_staff).action_check_in()
            self.assertEqual(appointment.check_in_method, "staff")
        with freeze_time("2025-06-02 09:00:00"):
            appointment.with_user(self.user_staff).action_complete()
        self.assertEqual(appointment.state, "done")
        self.assertEqual(str(appointment.checked_in_at), "2025-06-02 07:55:00")
        self.assertEqual(str(appointment.completed_at), "2025-06-02 09:00:00")
        bodies = " ".join(str(m.body) for m in appointment.message_ids)
        for word in ("Approved", "Checked in", "Completed", "Stacy Staff"):
            self.assertIn(word, bodies)

    def test_cancel_records_who_and_why_and_frees_the_slot(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
            appointment.action_cancel(reason="Sick", cancelled_by="customer")
            self.assertEqual(appointment.cancelled_by, "customer")
            self.assertEqual(appointment.cancel_reason, "Sick")
            again = self._book(self.at(10))
            self.assertEqual(again.state, "confirmed")

    def test_reason_wizard_declines_and_cancels(self):
        with freeze_time(NOW):
            request = self._book(self.at(9), service=self.service_approval, state="pending")
            booking = self._book(self.at(14))
            Wizard = self.env["booking.appointment.reason.wizard"].with_user(self.user_staff)
            Wizard.create({"appointment_ids": request.ids, "action": "decline", "reason": "Closed"}).action_apply()
            Wizard.create({"appointment_ids": booking.ids, "action": "cancel"}).action_apply()
        self.assertEqual((request.state, request.cancel_reason), ("rejected", "Closed"))
        self.assertEqual((booking.state, booking.cancelled_by), ("cancelled", "merchant"))

    def test_time_cannot_change_once_started_or_closed(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
            appointment.write({"start": self.at(11)})
            self.assertLastMessageContains(appointment, "Moved from")
            for state in ("checked_in", "done", "cancelled", "no_show"):
                appointment.sudo().state = state
                with self.subTest(state=state), self.assertRaises(UserError):
                    appointment.write({"start": self.at(14)})

    def test_appointments_holding_time_cannot_be_deleted(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
            with self.assertRaisesRegex(UserError, "cancel it instead"):
                appointment.with_user(self.user_manager).unlink()
            appointment.action_cancel()
            appointment.with_user(self.user_manager).unlink()
            self.assertFalse(appointment.exists())

    def test_reference_and_creation_message(self):
        with freeze_time(NOW):
            appointment = self._book(self.at(10))
        self.assertRegex(appointment.name, r"^BK\d{2}-\d{5}$")
        self.assertIn("Booked (Backend)", str(appointment.message_ids[-1].body))
        self.assertIn("10:00", str(appointment.message_ids[-1].body), "creation message shows the local time")
