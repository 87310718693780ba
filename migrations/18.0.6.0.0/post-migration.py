"""18.0.6.0.0, after the update: verification per value, opt-outs per page (issue 22).

Frozen logic (plain SQL, no import of the addon's code, which may change
after this release):

- A contact was "verified" as a whole (``booking_unverified`` false: not made
  from a visitor's input). It becomes verified for the values it holds: its
  e-mail and phone when it has no account; for a contact with an account,
  only the e-mail that is its login (an account page may have changed the
  e-mail to someone else's: that one proves nothing). Contacts made from a
  visitor's input stay verified for nothing.
- STOP replies used to go to Odoo's database-wide phone blacklist, with the
  message "Replied STOP to <page>". Each becomes an opt-out of the pages of
  that name that use Twilio; a blacklist entry whose last word was such a
  reply (not staff's) is archived, so that the other pages text the number
  again, as the customer asked of one page only.
- Staff answer a request by SMS with its reference and a six-digit code: the
  new-request SMS to staff (a noupdate template) gets the code, unless it was
  edited (then staff add it themselves).
"""

OLD_REQUEST_SMS = ("Request {{ object.name }}: {{ object.partner_id.name }}, {{ object.service_id.name }} "
                   "{{ object._when_label(style='short') }}. Reply YES {{ object.name }} to approve or NO "
                   "{{ object.name }} to decline.")
NEW_REQUEST_SMS = ("Request {{ object.name }}: {{ object.partner_id.name }}, {{ object.service_id.name }} "
                   "{{ object._when_label(style='short') }}. Reply YES {{ object.name }} "
                   "{{ object._approval_sms_code() }} to approve or NO {{ object.name }} "
                   "{{ object._approval_sms_code() }} to decline.")


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE res_partner p
           SET booking_verified_email = p.email_normalized
         WHERE NOT COALESCE(p.booking_unverified, FALSE)
           AND COALESCE(p.email_normalized, '') != ''
           AND (NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
                OR EXISTS (SELECT 1 FROM res_users u
                            WHERE u.partner_id = p.id AND lower(trim(u.login)) = p.email_normalized))
    """)
    cr.execute("""
        UPDATE res_partner p
           SET booking_verified_phone = p.phone_sanitized
         WHERE NOT COALESCE(p.booking_unverified, FALSE)
           AND COALESCE(p.phone_sanitized, '') != ''
           AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
    """)
    # STOP replies of the database-wide blacklist: opt-outs of the page they were sent to
    cr.execute("""
        INSERT INTO booking_sms_opt_out (page_id, company_id, number, keyword, create_uid, create_date,
                                         write_uid, write_date)
        SELECT DISTINCT page.id, page.company_id, bl.number, 'STOP', 1, now() AT TIME ZONE 'UTC', 1,
                        now() AT TIME ZONE 'UTC'
          FROM phone_blacklist bl
          JOIN mail_message msg ON msg.model = 'phone.blacklist' AND msg.res_id = bl.id
          JOIN booking_page page ON page.sms_gateway = 'twilio'
         WHERE bl.active
           AND EXISTS (SELECT 1 FROM jsonb_each_text(page.name) AS name
                        WHERE msg.body::text LIKE '%Replied STOP to ' || name.value || '%')
        ON CONFLICT DO NOTHING
    """)
    cr.execute("""
        UPDATE phone_blacklist bl
           SET active = FALSE
         WHERE bl.active
           AND (SELECT msg.body::text FROM mail_message msg
                 WHERE msg.model = 'phone.blacklist' AND msg.res_id = bl.id
                 ORDER BY msg.id DESC LIMIT 1) LIKE '%Replied STOP to %'
    """)
    cr.execute("""
        UPDATE sms_template t
           SET body = jsonb_set(t.body, '{en_US}', to_jsonb(%s::text))
          FROM ir_model_data d
         WHERE d.model = 'sms.template' AND d.res_id = t.id AND d.module = 'self_serve_booking'
           AND d.name = 'sms_template_booking_merchant_new_request'
           AND t.body->>'en_US' = %s
    """, [NEW_REQUEST_SMS, OLD_REQUEST_SMS])
