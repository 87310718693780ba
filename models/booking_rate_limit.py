import contextlib
import ipaddress
import math
from datetime import timedelta

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import ATTEMPTS_FACTOR

RETENTION_HOURS = 24
# One client is one network: a home or a server gets a whole IPv6 /64 (every address of it is theirs
# to use), an IPv4 address is one client. Settings (ir.config_parameter) may widen or narrow them.
IPV6_PREFIX_PARAM = "self_serve_booking.rate_limit_ipv6_prefix"
IPV4_PREFIX_PARAM = "self_serve_booking.rate_limit_ipv4_prefix"
DEFAULT_PREFIXES = {4: 32, 6: 64}
# The limit's own transaction commits without waiting for its WAL to reach the disk (in the statement that
# takes the lock: no statement of its own). Its hits are visible to every other transaction at once, as with
# any commit; a crash of PostgreSQL may forget the last few, which a limit can afford.
ASYNC_COMMIT = SQL("set_config('synchronous_commit', 'off', true)")


class BookingRateLimit(models.Model):
    """Hits of rate-limited public actions, counted in PostgreSQL.

    Counting in the database (not in a worker's memory) makes the limit hold
    across workers and nodes. Each check runs in a short transaction of its
    own, at READ COMMITTED and under an advisory lock on the key, so
    concurrent requests from one client see each other's hits at once and
    cannot all slip under the limit together; the hit is kept even when the
    request it belongs to fails, which is the point of a limit. Two
    statements: the lock, then the count and the hit in one (the count is
    what was committed when the lock was granted, the statement's snapshot).
    """

    _name = "booking.rate.limit"
    _description = "Booking Rate Limit Hit"
    _log_access = False

    key = fields.Char(required=True, index=True)
    hit_at = fields.Datetime(required=True, index=True)

    @contextlib.contextmanager
    def _own_cursor(self):
        if self.env.registry.in_test_mode():
            # tests run in one shared transaction: a savepoint stands in for it
            with self.env.cr.savepoint(flush=False):
                yield self.env.cr
            return
        with self.env.registry.cursor() as cr:
            # READ COMMITTED from its BEGIN (psycopg sends the level with it: no statement of its own); a
            # new cursor sets REPEATABLE READ again, so the pooled connection goes back as it came
            cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            yield cr

    @api.model
    def _client_network(self, address):
        """The network a client address counts as: its /64 for IPv6, its /32 for IPv4 (settings).

        Anyone holding an IPv6 /64 (any home connection, any cloud server)
        can use each of its 2^64 addresses: counting each one would be no
        limit. Anything that is not an IP address (a user's key, "unknown")
        is returned as it is. The prefixes are the system parameters
        ``self_serve_booking.rate_limit_ipv6_prefix`` (default 64) and
        ``self_serve_booking.rate_limit_ipv4_prefix`` (default 32).
        """
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return address
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        param = IPV6_PREFIX_PARAM if ip.version == 6 else IPV4_PREFIX_PARAM
        default = DEFAULT_PREFIXES[ip.version]
        value = self.env["ir.config_parameter"].sudo().get_param(param, default)
        try:
            prefix = min(max(int(value), 0), ip.max_prefixlen)
        except (TypeError, ValueError):
            prefix = default
        return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))

    @api.model
    def _take_page_write(self, page, client):
        """One request of ``client`` that writes on ``page`` (a booking, a waitlist entry, a series).

        Two counters per client: writes, within the page's limit, and every
        attempt, within ``ATTEMPTS_FACTOR`` times it; the write's hit can be
        given back (``_give_back``) when the request is refused for its input.
        Every channel counts here (the API, the portal, the receptionist),
        so one client has one allowance.

        :param client: a user's key, or the client's IP address (counted by
            its network, ``_client_network``).
        :return: ``(allowed, retry_after_seconds, hit_id)``
        """
        client = self._client_network(client)
        limit, minutes = page.rate_limit_count, page.rate_limit_minutes
        if limit <= 0:
            return True, 0, None
        attempts_key, writes_key = f"page-attempts:{page.id}:{client}", f"page:{page.id}:{client}"
        window = f"{int(minutes)} minutes"
        max_attempts = limit * ATTEMPTS_FACTOR
        # both counters in one short transaction, two statements (a booking pays for its limit once): the
        # locks, then the count and the hits (an attempt within its limit, a write within its own)
        with self._own_cursor() as cr:
            cr.execute(SQL("SELECT %s, pg_advisory_xact_lock(hashtext(%s)), pg_advisory_xact_lock(hashtext(%s))",
                           ASYNC_COMMIT, f"booking.rate.limit:{attempts_key}", f"booking.rate.limit:{writes_key}"))
            cr.execute(SQL(
                """
                WITH counted AS (
                    SELECT key, count(*) AS hits,
                           EXTRACT(EPOCH FROM MIN(hit_at) + %(window)s::interval - (now() AT TIME ZONE 'UTC'))
                               AS remaining
                      FROM booking_rate_limit
                     WHERE key IN (%(attempts)s, %(writes)s)
                       AND hit_at > (now() AT TIME ZONE 'UTC') - %(window)s::interval
                  GROUP BY key
                ), taken AS (
                    INSERT INTO booking_rate_limit (key, hit_at)
                    SELECT wanted.hit_key, now() AT TIME ZONE 'UTC'
                      FROM (VALUES (%(attempts)s), (%(writes)s)) AS wanted(hit_key)
                     WHERE COALESCE((SELECT hits FROM counted WHERE key = %(attempts)s), 0) < %(max_attempts)s
                       AND (wanted.hit_key = %(attempts)s
                            OR COALESCE((SELECT hits FROM counted WHERE key = %(writes)s), 0) < %(limit)s)
                 RETURNING id, key
                )
                SELECT key, hits, remaining, NULL FROM counted
                 UNION ALL
                SELECT key, NULL, NULL, id FROM taken
                """,
                attempts=attempts_key, writes=writes_key, window=window, max_attempts=max_attempts, limit=limit,
            ))
            rows = cr.fetchall()
        counts = {key: (hits, remaining) for key, hits, remaining, hit_id in rows if hit_id is None}
        hits = {key: hit_id for key, _hits, _remaining, hit_id in rows if hit_id is not None}
        attempts, remaining = counts.get(attempts_key, (0, None))
        if attempts >= max_attempts:
            return False, max(1, math.ceil(remaining or 1)), None
        writes, remaining = counts.get(writes_key, (0, None))
        if writes >= limit:
            return False, max(1, math.ceil(remaining or 1)), None
        return True, 0, hits[writes_key]

    def _hit(self, key, limit, window_minutes):
        """Record a hit for ``key`` unless ``limit`` hits happened in the window.

        :return: ``(allowed, retry_after_seconds)``
        """
        allowed, retry_after, _hit_id = self._take(key, limit, window_minutes)
        return allowed, retry_after

    @api.model
    def _take(self, key, limit, window_minutes):
        """``_hit`` that also returns the hit's id (or None), for ``_give_back``."""
        if limit <= 0:
            return True, 0, None
        window = f"{int(window_minutes)} minutes"
        with self._own_cursor() as cr:
            cr.execute(SQL("SELECT %s, pg_advisory_xact_lock(hashtext(%s))", ASYNC_COMMIT, f"booking.rate.limit:{key}"))
            # the count and the hit (within the limit) in one statement
            cr.execute(SQL(
                """
                WITH counted AS (
                    SELECT count(*) AS hits,
                           EXTRACT(EPOCH FROM MIN(hit_at) + %(window)s::interval - (now() AT TIME ZONE 'UTC'))
                               AS remaining
                      FROM booking_rate_limit
                     WHERE key = %(key)s AND hit_at > (now() AT TIME ZONE 'UTC') - %(window)s::interval
                ), taken AS (
                    INSERT INTO booking_rate_limit (key, hit_at)
                    SELECT %(key)s, now() AT TIME ZONE 'UTC' FROM counted WHERE hits < %(limit)s
                 RETURNING id
                )
                SELECT counted.hits, counted.remaining, (SELECT id FROM taken) FROM counted
                """,
                key=key, window=window, limit=limit,
            ))
            count, remaining, hit_id = cr.fetchone()
        if count >= limit:
            return False, max(1, math.ceil(remaining or 1)), None
        return True, 0, hit_id

    @api.model
    def _give_back(self, hit_id):
        """Forget a hit: the request it counted did not go through (invalid input, a taken time)."""
        if hit_id:
            with self._own_cursor() as cr:
                cr.execute(SQL("DELETE FROM booking_rate_limit WHERE id = %s", hit_id))

    @api.autovacuum
    def _gc_old_hits(self):
        self.env["booking.scheduler"]._unlink_each(
            self.sudo().search([("hit_at", "<", fields.Datetime.now() - timedelta(hours=RETENTION_HOURS))]),
            "Delete old rate limit hits", "gc_rate_limit")
