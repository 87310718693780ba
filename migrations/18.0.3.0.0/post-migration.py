"""18.0.3.0.0, after the update: every appointment gets its bill's service line, at the price it had.

Bookings of every state, closed ones included, so that their receipts and
totals read the same as before; the payment contracts' totals follow the
bills (they are related to the appointment's total now).
"""

from odoo import SUPERUSER_ID, api

BATCH = 500


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"booking_bill_sync": True, "booking_bill_migration": True,
                                             "tracking_disable": True})
    cr.execute("""
        SELECT saved.id, saved.price
          FROM booking_appointment_price_18_0_3 saved
          JOIN booking_appointment appointment ON appointment.id = saved.id
         WHERE NOT EXISTS (SELECT 1 FROM booking_appointment_line line
                            WHERE line.appointment_id = saved.id AND line.line_type = 'service')
      ORDER BY saved.id
    """)
    rows = cr.fetchall()
    Appointment = env["booking.appointment"]
    Line = env["booking.appointment.line"]
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        appointments = Appointment.browse([row[0] for row in batch])
        Line.create([{
            "appointment_id": appointment.id,
            "line_type": "service",
            "sequence": 0,
            "product_id": appointment.service_id._get_product().id,
            "name": appointment.service_id.name,
            "price_unit": price or 0.0,
        } for appointment, (_id, price) in zip(appointments, batch, strict=True)])
        env.flush_all()
        env.invalidate_all()
    cr.execute("DROP TABLE booking_appointment_price_18_0_3")
