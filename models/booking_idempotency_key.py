import hashlib
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from ..exceptions import IdempotencyKeyReused

KEY_LIFETIME = timedelta(hours=24)
# Answers a retry gets again: the request ran (booked, or found the time
# taken). Refusals before it ran (invalid body, rate limit, authentication)
# are not kept, so a corrected or later retry with the same key still runs.
KEPT_STATUSES = (200, 201, 409)


class BookingIdempotencyKey(models.Model):
    """The answer given to a write request sent with an ``Idempotency-Key`` header.

    A client that did not get the answer (timeout, dropped connection)
    sends the same request again with the same key: within 24 hours it gets
    the first answer back, status and body, and nothing is booked twice; the
    same key with another body is refused (422). Keys are claimed with
    ``INSERT ... ON CONFLICT DO NOTHING``, so a second request with a key
    in use waits for the first one's transaction, then (Odoo retrying it
    after the serialization failure PostgreSQL raises) replays its answer:
    two concurrent requests with one key book once.
    """

    _name = "booking.idempotency.key"
    _description = "Booking API Idempotency Key"
    _log_access = False

    scope = fields.Char(required=True, readonly=True, help="Route and caller the key was used by.")
    key = fields.Char(required=True, readonly=True)
    request_hash = fields.Char(required=True, readonly=True, help="SHA-256 of the request body.")
    status = fields.Integer(readonly=True)
    response = fields.Text(readonly=True)
    location = fields.Char(readonly=True)
    created_at = fields.Datetime(required=True, readonly=True, index=True)

    _sql_constraints = [
        ("scope_key_unique", "UNIQUE(scope, key)", "An idempotency key is used once per route and caller."),
    ]

    @api.model
    def _hash_body(self, body):
        return hashlib.sha256(body or b"").hexdigest()

    @api.model
    def _claim(self, scope, key, body):
        """Claim ``key`` for this request: ``(claim, None)``, or ``(None, earlier)`` for a key in use.

        ``earlier`` is the record of the first request (its answer, its body
        hash). A key older than 24 hours is claimed anew.
        """
        request_hash = self._hash_body(body)
        now = fields.Datetime.now()
        cr = self.env.cr
        # the refused insert of a concurrent claim (serialization failure, then
        # retried by Odoo) is expected: not an error for the log
        with mute_logger("odoo.sql_db"):
            cr.execute(SQL(
                """
                INSERT INTO booking_idempotency_key (scope, key, request_hash, created_at)
                     VALUES (%(scope)s, %(key)s, %(hash)s, %(now)s)
                ON CONFLICT (scope, key) DO UPDATE
                        SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
                            status = NULL, response = NULL, location = NULL
                      WHERE booking_idempotency_key.created_at < %(expired)s
                  RETURNING id
                """,
                scope=scope, key=key, hash=request_hash, now=now, expired=now - KEY_LIFETIME,
            ))
            row = cr.fetchone()
        if row:
            return self.browse(row[0]), None
        earlier = self.search([("scope", "=", scope), ("key", "=", key)], limit=1)
        return None, earlier

    def _same_request(self, body):
        self.ensure_one()
        return self.request_hash == self._hash_body(body)

    @api.model
    def _call_once(self, scope, key, body, call):
        """Run ``call`` once for ``key`` in ``scope``, or find the answer it gave.

        :param bytes body: the request body the key is bound to.
        :param call: runs the request; returns ``(result, status, text, location)``.
        :return: ``(result, None)`` when it ran now, ``(None, earlier)`` when an
            earlier request with this key answered (``earlier.status``,
            ``.response``, ``.location``).
        :raise IdempotencyKeyReused: the key was used with another body.
        """
        claim, earlier = self._claim(scope, key, body)
        if not claim:
            if not earlier._same_request(body):
                raise IdempotencyKeyReused(self.env._(
                    "This Idempotency-Key was used with another request body: use a new key for a new request."))
            return None, earlier
        result, status, text, location = call()
        if status < 500:  # a 5xx rolled the transaction back, the claim with it
            claim._record(status, text, location)
        return result, None

    def _record(self, status, response, location=None):
        """Keep the answer of the claimed request; refusals before it ran release the key."""
        self.ensure_one()
        if status in KEPT_STATUSES:
            self.write({"status": status, "response": response, "location": location or False})
        else:
            self.unlink()

    @api.autovacuum
    def _gc_keys(self):
        self.env["booking.scheduler"]._unlink_each(
            self.sudo().search([("created_at", "<", fields.Datetime.now() - KEY_LIFETIME)]),
            "Delete old idempotency keys", "gc_idempotency_keys")
