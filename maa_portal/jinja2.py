"""The Jinja2 environment of the list tables (their rows; see templatetags/rows.py).

Django's template engine spent about 0.25 ms on a request row and 0.5 ms on a device row on
the benchmark machine: more than the page's SQL. Jinja2 compiles a template to Python, so a
row costs what its values cost. Everything else stays in Django's templates.
"""

from django.template.defaultfilters import date, timeuntil_filter, truncatechars
from django.urls import reverse
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from jinja2 import Environment


def _url(name: str, *args) -> str:
    return reverse(name, args=args)


def _as_django_prints(value):
    """What a Django template prints for a value: a datetime in local time, formatted."""
    return localize(template_localtime(value))


def _date(value, fmt: str) -> str:
    # Django's date filter expects local time (its engine converts before calling it).
    return date(template_localtime(value), fmt)


def environment(**options) -> Environment:
    env = Environment(finalize=_as_django_prints, **options)
    env.globals["url"] = _url
    env.filters.update(date=_date, timeuntil=timeuntil_filter, truncatechars=truncatechars)
    return env
