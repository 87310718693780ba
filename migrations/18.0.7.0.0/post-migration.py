"""18.0.7.0.0, after the update: every page sends what people expect (issue 24).

Frozen values (plain SQL, no import of the addon's code, which may change
after this release):

- A page without any notification rule (made in the form, which sent the
  list empty, or by an import) gets the default rules of this release; a
  page with Twilio set up sends the occasions people act on from their
  phone (confirmation, the 2 h reminder, the request to the merchant, its
  nudge, decline or expiry, a move) by e-mail and SMS.
- Pages that have rules get the occasions new in this release: "on the
  waitlist" (by the channel the customer gave) and the visit summary sent
  at checkout while a balance is still due.
- Staff following a booking followed Odoo's internal notes (the page's
  responsible, the provider's user) or its discussions (who made it), so
  they got the payment's progress, a copy of each SMS and of each e-mail
  sent to the customer: they follow the booking's "For staff" subtype only.
- The templates' new texts (the receipt's "Leave a review" link, the
  confirmation and request SMS) need nothing here: 18.0.6.0.0 never shipped
  on its own, and its migration, which every database upgraded to this one
  runs first, reloads each template the merchant never edited from the data
  files as they are.
"""

# (event, channel, hours before) as a new page of 18.0.7.0.0 has them, in that order (without SMS set up)
RULES_18_0_7 = (
    ("request_received", "email", 0.0),
    ("confirmed", "email", 0.0),
    ("declined", "email", 0.0),
    ("cancelled", "email", 0.0),
    ("rescheduled", "email", 0.0),
    ("reminder", "email", 24.0),
    ("reminder", "sms", 2.0),
    ("rebook_reminder", "email", 0.0),
    ("receipt", "email", 0.0),
    ("waitlist_offer", "email_sms", 0.0),
    ("new_booking", "email", 0.0),
    ("new_booking", "inbox", 0.0),
    ("new_request", "email", 0.0),
    ("new_request", "inbox", 0.0),
    ("request_nudge", "email", 0.0),
    ("customer_cancelled", "email", 0.0),
    ("customer_rescheduled", "email", 0.0),
    ("agenda", "email", 18.0),
    ("review_request", "email", 0.0),
    ("waitlist_joined", "email_sms", 0.0),
    ("visit_summary", "email", 0.0),
)
# occasions new in 18.0.7.0.0: pages that have rules get them too
NEW_EVENTS_18_0_7 = ("waitlist_joined", "visit_summary")
# by e-mail and SMS on a page with Twilio set up (the reminder: the one 2 h before)
SMS_WORTHY_18_0_7 = {("confirmed", 0.0), ("reminder", 2.0), ("new_request", 0.0), ("declined", 0.0),
                     ("rescheduled", 0.0), ("request_nudge", 0.0)}

def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        SELECT page.id, page.sms_gateway = 'twilio' AND COALESCE(page.twilio_number, '') != ''
               AND COALESCE(page.twilio_account_sid, '') != '' AND COALESCE(page.twilio_auth_token, '') != ''
          FROM booking_page page
         WHERE NOT EXISTS (SELECT 1 FROM booking_notification_rule rule WHERE rule.page_id = page.id)
    """)
    for page_id, sms in cr.fetchall():
        for sequence, (event, default_channel, offset) in enumerate(RULES_18_0_7):
            channel = "email_sms" if sms and default_channel in ("email", "sms") \
                and (event, offset) in SMS_WORTHY_18_0_7 else default_channel
            cr.execute("""
                INSERT INTO booking_notification_rule (page_id, sequence, active, event, channel, offset_hours,
                                                       create_uid, create_date, write_uid, write_date)
                VALUES (%s, %s, TRUE, %s, %s, %s, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC')
            """, [page_id, sequence, event, channel, offset])
    for sequence, (event, channel, offset) in enumerate(RULES_18_0_7):
        if event not in NEW_EVENTS_18_0_7:
            continue
        cr.execute("""
            INSERT INTO booking_notification_rule (page_id, sequence, active, event, channel, offset_hours,
                                                   create_uid, create_date, write_uid, write_date)
            SELECT page.id, %s, TRUE, %s, %s, %s, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
              FROM booking_page page
             WHERE NOT EXISTS (SELECT 1 FROM booking_notification_rule rule
                                WHERE rule.page_id = page.id AND rule.event = %s)
        """, [sequence, event, channel, offset, event])
    # staff following a booking (not its customer) follow exactly its "For staff" subtype
    cr.execute("""
        INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
        SELECT f.id, staff.res_id
          FROM mail_followers f
          JOIN booking_appointment a ON a.id = f.res_id AND a.partner_id IS DISTINCT FROM f.partner_id
          JOIN ir_model_data staff ON staff.module = 'self_serve_booking' AND staff.name = 'mt_booking_staff'
         WHERE f.res_model = 'booking.appointment'
           AND EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = f.partner_id AND NOT u.share)
        ON CONFLICT DO NOTHING
    """)
    cr.execute("""
        DELETE FROM mail_followers_mail_message_subtype_rel rel
         USING mail_followers f, booking_appointment a, ir_model_data staff
         WHERE rel.mail_followers_id = f.id AND f.res_model = 'booking.appointment'
           AND a.id = f.res_id AND a.partner_id IS DISTINCT FROM f.partner_id
           AND EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = f.partner_id AND NOT u.share)
           AND staff.module = 'self_serve_booking' AND staff.name = 'mt_booking_staff'
           AND rel.mail_message_subtype_id != staff.res_id
    """)
