"""Widgets of the pages' forms: the list filters, the device page's category.

Django renders a widget through its form renderer's templates: about 90 µs a text input and
60 µs a select option on the benchmark machine, a tenth of a filtered list page's time. These
build the same markup in Python, with the same attributes and escaping; only the whitespace
between tags differs.
"""

from django import forms
from django.utils.html import escape
from django.utils.safestring import mark_safe


def _attributes(widget: forms.Widget, attrs) -> str:
    # In order, as Django's attrs.html prints them (flatatt puts booleans last).
    return "".join(
        f" {escape(key)}" if value is True else f' {escape(key)}="{escape(value)}"'
        for key, value in widget.build_attrs(widget.attrs, attrs).items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """Django's <select> markup (a dict and a template include per option in Django)."""

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
        # Every name, value and label is escaped.
        return mark_safe(
            f'<select name="{escape(name)}"{_attributes(self, attrs)}>{"".join(groups)}</select>'
        )


class _QuickInput:
    """Django's <input> markup (input.html and attrs.html in Django)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = "" if value is None else f' value="{escape(value)}"'
        # Every name, value and attribute is escaped.
        return mark_safe(
            f'<input type="{escape(self.input_type)}" name="{escape(name)}"{shown}'
            f"{_attributes(self, attrs)}>"
        )


class QuickText(_QuickInput, forms.TextInput):
    pass


class QuickDate(_QuickInput, forms.DateInput):
    """A date picker: <input type="date">, its value in ISO form as browsers send it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
