"""18.0.2.0.0, after the update: scheduled actions on ``booking.scheduler``, calendar updates off the outbox.

- The scheduled actions are ``noupdate`` data: the ones that moved to the
  scheduler model get its model here (their code is unchanged).
- Providers' calendars are no longer updated through the message outbox but
  by a flag on the appointment (``booking.calendar.sync``): an appointment
  whose latest calendar update is still queued (or failed) in the outbox gets
  that flag, and the outbox's calendar rows go.
"""

from odoo import SUPERUSER_ID, api

SCHEDULER_CRONS = (
    "ir_cron_expire_payment_holds",
    "ir_cron_send_reminders",
    "ir_cron_follow_up_requests",
    "ir_cron_waitlist_offers",
    "ir_cron_mark_no_shows",
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    scheduler = env["ir.model"]._get_id("booking.scheduler")
    for xmlid in SCHEDULER_CRONS:
        cron = env.ref(f"self_serve_booking.{xmlid}", raise_if_not_found=False)
        if cron:
            cron.model_id = scheduler
    dispatch = env.ref("self_serve_booking.ir_cron_dispatch_notifications", raise_if_not_found=False)
    if dispatch:
        dispatch.name = "Booking: send queued messages"
    cr.execute(
        """
        UPDATE booking_appointment a
           SET calendar_sync_state = CASE WHEN n.state = 'failed' THEN 'failed' ELSE 'pending' END,
               calendar_sync_attempts = CASE WHEN n.state = 'failed' THEN n.attempts ELSE 0 END,
               calendar_sync_error = n.last_error,
               calendar_sync_next_at = now() AT TIME ZONE 'UTC'
          FROM (SELECT DISTINCT ON (appointment_id) appointment_id, state, attempts, last_error
                  FROM booking_notification
                 WHERE channel = 'calendar' AND state IN ('pending', 'failed', 'sent')
              ORDER BY appointment_id, id DESC) n
         WHERE a.id = n.appointment_id AND n.state IN ('pending', 'failed')
        """
    )
    cr.execute("DELETE FROM booking_notification WHERE channel = 'calendar' OR event = 'calendar_sync'")
    env.ref("self_serve_booking.ir_cron_sync_provider_calendars")._trigger()
