from django import template
from django.template import engines
from django.utils.safestring import mark_safe

from maa_portal.jinja2 import part_render

register = template.Library()


@register.simple_tag
def jinja(template_name: str, **context) -> str:
    """A part of a Django page rendered by Jinja2 (maa_portal/jinja2.py says why): the list
    tables, the filter forms, the device page's panels and history, e.g.
    {% jinja "devices/device_table.html" page=page %}. Jinja2 escapes what it prints."""
    return mark_safe(part_render(engines["jinja2"].get_template(template_name), context))
