"""Widgets of the pages' forms: the list filters, the device page's category."""

from django import forms
from django.utils.html import escape
from django.utils.safestring import mark_safe


class QuickSelect(forms.Select):
    """Django's <select> markup, built in Python.

    Django builds a dict per option and renders each through a template include: about 60 µs
    an option on the benchmark machine, so a list page's filter selects cost it 2 to 4 ms. Same
    attributes and escaping as Django's; only the whitespace between tags differs.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))

        def options(choices) -> str:
            return "".join(
                f'<option value="{escape(v)}"{" selected" if str(v) in chosen else ""}>'
                f"{escape(label)}</option>"
                for v, label in choices
            )

        groups = [
            f'<optgroup label="{escape(value)}">{options(label)}</optgroup>'
            if isinstance(label, list | tuple)
            else options([(value, label)])
            for value, label in self.choices
        ]
        # In order, as Django's attrs.html prints them (flatatt puts booleans last).
        attributes = "".join(
            f" {escape(key)}" if value is True else f' {escape(key)}="{escape(value)}"'
            for key, value in self.build_attrs(self.attrs, attrs).items()
            if value is not False
        )
        # Every name, value and label is escaped above.
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{"".join(groups)}</select>')
