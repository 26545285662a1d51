"""The Jinja2 environment of the parts of pages that repeat (see templatetags/jinja.py).

The list tables, the filter forms, the device page's panels and history. Django's engine spent
about 0.25 ms on a request row and 0.5 ms on a device row on the benchmark machine: more than
the page's SQL; a filter form's loop over its fields 0.2 ms; the device page's panels half its
render. Jinja2 compiles a template to Python, so a row costs what its values cost. Everything
else stays in Django's templates.
"""

import functools
import re
from datetime import datetime

from django.conf import settings
from django.template.defaultfilters import date, linebreaksbr, timeuntil_filter, truncatechars
from django.urls import get_script_prefix, reverse
from django.utils.formats import localize
from django.utils.timezone import get_current_timezone, template_localtime
from jinja2 import Environment, pass_context

# Stands for an argument while a URL's shape is reversed; ten digits no id reaches.
_MARK = 9_187_236_450


@functools.cache
def _url_shape(prefix: str, name: str, arity: int) -> list:
    """The URL reversed once with markers for its arguments, cut into literal text and
    argument positions."""
    marks = {str(_MARK + i): i for i in range(arity)}
    url = reverse(name, args=[_MARK + i for i in range(arity)])
    pieces = re.split("(" + "|".join(marks) + ")", url) if marks else [url]
    return [marks.get(piece, piece) for piece in pieces]


def part_render(template, context: dict) -> str:
    """Render a part (a list table, a panel) with what each of its rows would otherwise read
    again from Django's request-local state: the current time zone and the script prefix, each
    behind an asgiref Local. template_localtime took 6 us a date on the benchmark machine, 0.5
    of it converting; get_script_prefix 2 us a link."""
    zone = get_current_timezone() if settings.USE_TZ else None
    return template.render({**context, "_zone": zone, "_prefix": get_script_prefix()})


@pass_context
def _url(context, name: str, *args) -> str:
    """reverse(name, args=args), with the URL's shape reversed once per name (and script
    prefix): a table reverses a URL per row, at 40 us each on the benchmark machine."""
    shape = _url_shape(context["_prefix"], name, len(args))
    return "".join(str(args[piece]) if isinstance(piece, int) else piece for piece in shape)


@functools.cache
def _labels(field) -> dict:
    return dict(field.flatchoices)


def _display(obj, name: str):
    """obj.get_<name>_display(), which builds the field's choices dict on every call."""
    field = obj._meta.get_field(name)
    value = getattr(obj, field.attname)
    return _labels(field).get(value, value)


def _as_django_prints(value):
    """What a Django template prints for a value: a datetime in local time, formatted. Text,
    most of what a table prints, is printed as it is (localize would return it unchanged), and
    so is a whole number without thousand separators (localize's number_format took 3 % of a
    request list)."""
    if type(value) is str:
        return value
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return localize(template_localtime(value))


# The tables' date formats, in strftime's words: Django's DateFormat reads its format letter by
# letter on every call (a tenth of a request list's rows).
_STRFTIME = {"Y-m-d H:i": "%Y-%m-%d %H:%M", "Y-m-d H:i:s": "%Y-%m-%d %H:%M:%S"}


@pass_context
def _date(context, value, fmt: str) -> str:
    # Django's date filter expects local time: its engine converts as template_localtime does,
    # here in the zone part_render read.
    if isinstance(value, datetime):
        zone = context["_zone"]
        if zone and value.utcoffset() is not None and getattr(value, "convert_to_local_time", True):
            value = value.astimezone(zone)
        if fmt in _STRFTIME and value.year >= 1000:
            return value.strftime(_STRFTIME[fmt])
    return date(value, fmt)


def _truncatechars(value, length: int):
    # Most notes fit, which Django's Truncator finds out by normalising the text and walking
    # it character by character (15 us a row of the audit table). ASCII text is already in the
    # normal form it returns, and without combining characters.
    if type(value) is str and len(value) <= length and value.isascii():
        return value
    return truncatechars(value, length)


def environment(**options) -> Environment:
    env = Environment(finalize=_as_django_prints, **options)
    env.globals.update(url=_url, display=_display)
    env.filters.update(
        date=_date,
        timeuntil=timeuntil_filter,
        truncatechars=_truncatechars,
        # Escapes, then breaks lines (Django's, as its engine calls it in an escaping context).
        linebreaksbr=lambda value: linebreaksbr(value, autoescape=True),
    )
    return env
