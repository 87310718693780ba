"""The validator of the API contract (``schemas.py``): JSON bodies, query strings, dates.

Pure Python, no Odoo import. It implements the part of JSON Schema 2020-12 the
contract uses: ``type`` (with ``"null"`` in a list for optional values),
``properties``, ``required``, ``additionalProperties: false``,
``minLength``/``maxLength``, ``minimum``/``maximum``, ``enum``, ``pattern``,
``format`` (``date``, ``date-time`` with an explicit offset, ``email``,
``time``) and ``$ref`` to the components. Errors come back as
``{"field.path": Message}``: English text that ``Message.translate`` turns into
the reader's language (the controllers pass Odoo's ``env._``; the templates
are marked with ``_`` so that Odoo's exporter finds them).

Errors are of two kinds. A *contract mismatch* is a request whose shape the
contract cannot describe: a field or query parameter it does not know, a JSON
value of another type than the schema's (a string for an integer, an object
for a string, a body that is not an object). A client built from an older or
newer contract sends those, a person filling a form never does: the API
answers them with ``contract_mismatch`` (``split_mismatch``). Everything else
is a plain bad value, ``validation``: empty, null or missing required values
(a form sends ``""``, ``null`` or leaves a key out alike), lengths, formats,
ranges, values outside an enum.
"""

import json
import math
import re
from datetime import UTC, date, datetime, time

from .schemas import MAX_DEPTH
from .schemas import MAX_YEAR
from .schemas import MIN_YEAR
from .schemas import QUERY_PARAMETERS
from .schemas import REF
from .schemas import REQUIRED_QUERY_PARAMETERS
from .schemas import SCHEMAS
from .schemas import SINGLE_LINE

EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")
# [0-9], never \d: \d matches every script's digits ("٣", "३"), which int() and
# the date parsers then read differently or refuse.
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# RFC 3339 only (what JSON Schema's date-time means): ISO 8601's week and
# ordinal dates, basic format and missing seconds are refused.
DATETIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
NAIVE_DATETIME_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")
# NUL, other C0 and C1 control characters and lone surrogates: no text of a
# customer holds them, PostgreSQL refuses NUL and UTF-8 cannot encode surrogates.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Unicode's bidirectional controls (property Bidi_Control): they reorder what a reader sees ("U+202E"
# shows "gnp.exe" as "exe.png"), in a name on staff's calendar as in a receipt. No name or note needs them.
BIDI_RE = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# A decimal number typed by a person, in ASCII digits only: float() reads every script's digits ("١٠" is
# 10.0), "nan", "inf" and exponents, none of which a form means.
DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
IDEMPOTENCY_KEY_RE = re.compile(r"[\x21-\x7e]{16,255}")  # fullmatch: a UUID is 36


class Message(str):
    """An error message: the English text, with its template and values kept for translation.

    ``mismatch`` tells a request that does not match the contract's shape from a bad value.
    """

    __slots__ = ("mismatch", "params", "template")

    def __new__(cls, template, params=None, mismatch=False):
        message = super().__new__(cls, template % params if params else template)
        message.template = template
        message.params = params or {}
        message.mismatch = mismatch
        return message

    def as_mismatch(self):
        """The same message, marked as a contract mismatch."""
        return Message(self.template, self.params, mismatch=True)

    def translate(self, gettext):
        """The message in the reader's language, through ``gettext`` (Odoo's ``env._``)."""
        return gettext(self.template, **self.params) if self.params else gettext(self.template)


def _(template, **params):
    """Mark ``template`` for Odoo's translation exporter; the text is translated when answered."""
    return Message(template, params)


def split_mismatch(errors):
    """``(mismatch, other)``: the errors of ``errors`` that are contract mismatches, and the rest."""
    mismatch = {path: message for path, message in errors.items() if getattr(message, "mismatch", False)}
    return mismatch, {path: message for path, message in errors.items() if path not in mismatch}


def translate_errors(errors, gettext):
    """``{path: message}`` with each message in the reader's language."""
    return {path: message.translate(gettext) if isinstance(message, Message) else message
            for path, message in errors.items()}


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

TYPE_MESSAGES = {
    ("string",): _("must be a string"),
    ("string", "null"): _("must be a string or null"),
    ("integer",): _("must be an integer"),
    ("integer", "null"): _("must be an integer or null"),
    ("number",): _("must be a number"),
    ("number", "null"): _("must be a number or null"),
    ("boolean",): _("must be a boolean"),
    ("boolean", "null"): _("must be a boolean or null"),
    ("object",): _("must be an object"),
    ("array",): _("must be an array"),
}

PY_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def resolve(schema):
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"][len(REF):]]
    return schema


def _type_ok(value, expected):
    types = expected if isinstance(expected, list) else [expected]
    for name in types:
        if name in ("integer", "number") and isinstance(value, bool):
            continue
        if isinstance(value, PY_TYPES[name]):
            return True
    return False


def parse_datetime(value):
    """An aware datetime from an RFC 3339 date-time, or ValueError.

    Naive values (``ValueError("naive")``), other ISO 8601 forms and instants
    outside the years 1970-2100 (in UTC) are refused.
    """
    if not DATETIME_RE.fullmatch(value):
        if NAIVE_DATETIME_RE.fullmatch(value):
            raise ValueError("naive")
        raise ValueError("format")
    parsed = datetime.fromisoformat(value.upper())
    if not MIN_YEAR <= parsed.year <= MAX_YEAR or not MIN_YEAR <= parsed.astimezone(UTC).year <= MAX_YEAR:
        raise ValueError("range")
    return parsed


def parse_date(value):
    """A date from ``YYYY-MM-DD`` in the years 1970-2100, or ValueError."""
    if not DATE_RE.fullmatch(value):
        raise ValueError("format")
    parsed = date.fromisoformat(value)
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError("range")
    return parsed


def _format_error(value, fmt):
    if fmt == "date-time":
        try:
            parse_datetime(value)
        except ValueError as error:
            if str(error) == "naive":
                return _("must include a time zone: Z or an offset like +02:00")
            if str(error) == "range":
                return _("must lie between the years %(first)s and %(last)s", first=MIN_YEAR, last=MAX_YEAR)
            return _("must be an RFC 3339 (ISO 8601) date and time, e.g. 2025-06-02T09:00:00Z")
    elif fmt == "date":
        try:
            parse_date(value)
        except ValueError as error:
            if str(error) == "range":
                return _("must lie between the years %(first)s and %(last)s", first=MIN_YEAR, last=MAX_YEAR)
            return _("must be a date as YYYY-MM-DD")
    elif fmt == "time" and not TIME_RE.fullmatch(value):
        return _("must be a time as HH:MM")
    elif fmt == "email" and not EMAIL_RE.fullmatch(value):
        return _("is not a valid e-mail address")
    return None


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _depth(value):
    """How deeply objects and arrays nest in ``value`` (iteratively: no recursion to exhaust).

    Raises ``ValueError`` for a key holding control characters: keys are
    named back in error messages.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            if any(CONTROL_RE.search(key) for key in item):
                raise ValueError("control characters in a key")
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(data):
    """Parse a request body: ``ValueError`` for anything but UTF-8 JSON nested at most ``MAX_DEPTH`` deep.

    ``NaN`` and ``Infinity`` (which Python's parser accepts) are refused, and
    a body nested thousands of levels deep is refused before Python's
    recursion limit is reached.
    """
    if isinstance(data, bytes):
        data = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
    # an upper bound of the nesting, counted before parsing: brackets inside
    # strings count too, which only makes the bound stricter for odd bodies
    if data.count("[") + data.count("{") > 2 * MAX_DEPTH and _max_bracket_depth(data) > MAX_DEPTH:
        raise ValueError("too deep")
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("too deep") from None
    if _depth(value) > MAX_DEPTH:
        raise ValueError("too deep")
    return value


def _max_bracket_depth(text):
    """The deepest nesting of brackets outside JSON strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def pattern_matches(pattern, value):
    """JSON Schema's ``pattern``, with ``^...$`` meaning the whole string (Python's ``$`` also
    matches before a final line break, which would let "123456\\n" pass for six digits)."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return re.fullmatch(pattern[1:-1], value) is not None
    return re.search(pattern, value) is not None


def text_error(value):
    """Why a string from outside cannot be stored (control or bidirectional characters), or None."""
    if CONTROL_RE.search(value) or BIDI_RE.search(value):
        return _("must not contain control characters")
    return None


def parse_decimal(value):
    """A decimal number a person typed ("12", "12.50", " 3 "), in ASCII digits: a float, or None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return float(value) if DECIMAL_RE.fullmatch(value) else None


def validate(value, schema, path=""):
    """Validate ``value`` against ``schema``; return ``{path: message}`` (empty when valid)."""
    schema = resolve(schema)
    errors = {}
    label = path or "body"
    expected = schema.get("type")
    if expected and not _type_ok(value, expected):
        names = tuple(expected) if isinstance(expected, list) else (expected,)
        message = TYPE_MESSAGES.get(names) or _("must be %(types)s", types=" or ".join(names))
        # null is a missing value (what a form sends for an empty one), no other shape
        return {label: message if value is None else message.as_mismatch()}
    if value is None:
        return errors
    if "enum" in schema and value not in schema["enum"]:
        return {label: _("must be one of %(values)s", values=", ".join(map(str, schema["enum"])))}
    if isinstance(value, str):
        message = text_error(value)
        if message:
            return {label: message}
        if "minLength" in schema and len(value.strip()) < schema["minLength"]:
            return {label: _("is required") if not value.strip() else _(
                "must be at least %(length)s characters", length=schema["minLength"])}
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return {label: _("must be at most %(length)s characters", length=schema["maxLength"])}
        if "pattern" in schema and not pattern_matches(schema["pattern"], value):
            return {label: _("must fit on one line") if schema["pattern"] == SINGLE_LINE else _(
                "has an invalid format")}
        if "format" in schema:
            message = _format_error(value, schema["format"])
            if message:
                return {label: message}
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return {label: _("must be a finite number")}
        if "minimum" in schema and value < schema["minimum"]:
            return {label: _("must be at least %(value)s", value=schema["minimum"])}
        if "maximum" in schema and value > schema["maximum"]:
            return {label: _("must be at most %(value)s", value=schema["maximum"])}
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value or value[name] is None:
                errors[f"{path}.{name}" if path else name] = _("is required")
        if schema.get("additionalProperties") is False:
            for name in value:
                if name not in properties:
                    errors[f"{path}.{name}" if path else name] = _("is not an accepted field").as_mismatch()
        for name, sub in properties.items():
            key = f"{path}.{name}" if path else name
            if name in value and key not in errors:
                errors.update(validate(value[name], sub, key))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors.update(validate(item, schema["items"], f"{path}[{index}]"))
    return errors


def parse_query(route, args):
    """Typed query parameters of ``route`` from strings, and errors per parameter."""
    params = QUERY_PARAMETERS[route]
    values, errors = {}, {}
    for name in REQUIRED_QUERY_PARAMETERS.get(route, []):
        if not args.get(name):
            errors[name] = _("is required")
    for name in args:
        if name not in params:
            errors[name] = _("is not an accepted parameter").as_mismatch()
    for name, schema in params.items():
        raw = args.get(name)
        if raw in (None, "") or name in errors:
            continue
        value = raw
        if schema["type"] == "integer":
            if not re.fullmatch(r"[0-9]{1,10}", raw):
                errors[name] = TYPE_MESSAGES[("integer",)]
                continue
            value = int(raw)
        found = validate(value, schema, name)
        if found:
            errors.update(found)
            continue
        if schema.get("format") == "date":
            value = parse_date(value)
        values[name] = value
    return values, errors


def parse_time(value):
    """``HH:MM`` (``24:00`` allowed) as float hours."""
    if value == "24:00":
        return 24.0
    parsed = time.fromisoformat(value)
    return parsed.hour + parsed.minute / 60.0


