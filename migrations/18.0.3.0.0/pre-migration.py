"""18.0.3.0.0, before the update: keep each appointment's price, which becomes the total of its bill.

``booking.appointment.price`` was the service's price (or one typed on the
form); it is now computed from the appointment's bill lines, which do not
exist yet. The prices are kept aside so that the post-migration step can
create each appointment's service line at exactly that price.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("DROP TABLE IF EXISTS booking_appointment_price_18_0_3")
    cr.execute("CREATE TABLE booking_appointment_price_18_0_3 AS SELECT id, price FROM booking_appointment")
