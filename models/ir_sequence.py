from odoo import api, models, tools
from odoo.tools import SQL

# what the cached lookup of ``_booking_next_by_code`` holds: a change of any of them (or a new or deleted
# sequence) clears it, in every worker (the registry's cache signaling)
BOOKING_CACHED_FIELDS = frozenset({
    "code", "company_id", "active", "implementation", "use_date_range", "prefix", "suffix", "padding", "name",
})


class IrSequence(models.Model):
    """A booking's reference in one query (``nextval``), formatted as the merchant configured it.

    ``next_by_code`` looks the sequence up (a search), reads it, then draws
    the number: three queries per booking. The lookup and the formatting
    data (prefix, suffix, padding) change only when someone edits a
    sequence, so they are cached across requests (ormcache), and any
    creation, deletion or edit of those fields of a sequence clears the
    cache at once, in every worker. The number itself is always drawn from
    PostgreSQL; the prefix and suffix are interpolated by Odoo's own code
    (``get_next_char``) at each call (``%(y)s`` follows the date).
    """

    _inherit = "ir.sequence"

    @api.model
    def _booking_next_by_code(self, sequence_code, company):
        """``next_by_code(sequence_code)`` for ``company`` (its own sequence, else a shared one).

        Sequences numbered without gaps or per date range are drawn by Odoo's
        own ``_next`` (their numbers live in rows, not in a PostgreSQL
        sequence).

        :return: the reference, or False when no sequence has this code.
        """
        self.browse().check_access("read")
        found = self._booking_sequence_format(sequence_code, company.id)
        if not found:
            return False
        sequence_id, formatting = found
        sequence = self.browse(sequence_id)
        if formatting is None:
            return sequence._next()
        self.env.cr.execute(SQL("SELECT nextval(%s)", f"ir_sequence_{sequence_id:03d}"))
        number = self.env.cr.fetchone()[0]
        # a record in memory holding the cached values: Odoo's formatting, without reading the sequence
        return self.new(dict(formatting)).get_next_char(number)

    @api.model
    @tools.ormcache("sequence_code", "company_id")
    def _booking_sequence_format(self, sequence_code, company_id):
        """``(sequence id, formatting values or None)`` of the sequence ``next_by_code`` would use, or None.

        ``None`` formatting: a sequence without gaps or by date range, that
        ``_next`` draws. Cached until a sequence changes (``_booking_clear_format_cache``).
        """
        # what any caller gets, whatever its context (the cache is shared): active sequences only
        sequence = self.sudo().with_context(active_test=True).search(
            [("code", "=", sequence_code), ("company_id", "in", [company_id, False])], order="company_id", limit=1)
        if not sequence:
            return None
        if sequence.implementation != "standard" or sequence.use_date_range:
            return sequence.id, None
        return sequence.id, {"name": sequence.name, "prefix": sequence.prefix, "suffix": sequence.suffix,
                             "padding": sequence.padding}

    def _booking_clear_format_cache(self):
        self.env.registry.clear_cache()

    @api.model_create_multi
    def create(self, vals_list):
        sequences = super().create(vals_list)
        self._booking_clear_format_cache()
        return sequences

    def write(self, vals):
        res = super().write(vals)
        if BOOKING_CACHED_FIELDS & vals.keys():
            self._booking_clear_format_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self._booking_clear_format_cache()
        return res
