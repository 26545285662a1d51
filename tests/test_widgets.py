"""The quick widgets print what Django's widgets print, but for the whitespace between tags."""

import re
from datetime import date

import pytest
from django import forms

from rbac.models import ScopeTag
from utilities.widgets import QuickDate, QuickSelect, QuickText

CHOICES = [
    ("", "All <statuses>"),
    ("a&b", 'Quote " and <b>'),
    ("Group", [("x", "X"), ("y", "Y")]),
    (3, "Three"),
]


def _tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _both(field_factory, data):
    class Plain(forms.Form):
        choice = field_factory(forms.Select)

    class Quick(forms.Form):
        choice = field_factory(QuickSelect)

    return str(Plain(data)["choice"]), str(Quick(data)["choice"])


@pytest.mark.parametrize("data", [{}, {"choice": "a&b"}, {"choice": "y"}, {"choice": "3"}])
def test_quick_select_matches_django_select(data):
    plain, quick = _both(
        lambda widget: forms.ChoiceField(choices=CHOICES, required=False, widget=widget), data
    )
    assert _tags(quick) == _tags(plain)
    assert quick.count(" selected") == 1  # with no choice made, the empty one
    assert "<statuses>" not in quick and "&lt;statuses&gt;" in quick


@pytest.mark.parametrize(
    "data", [{}, {"text": ""}, {"text": 'Ann "the" <b>&'}, {"text": "x", "day": "2026-12-06"}]
)
def test_quick_inputs_match_django_inputs(data):
    class Plain(forms.Form):
        text = forms.CharField(required=False, max_length=40, widget=forms.TextInput)
        day = forms.DateField(required=False, widget=forms.DateInput({"type": "date"}))

    class Quick(forms.Form):
        text = forms.CharField(required=False, max_length=40, widget=QuickText)
        day = forms.DateField(required=False, widget=QuickDate)

    for name in ("text", "day"):
        plain, quick = str(Plain(data)[name]), str(Quick(data)[name])
        assert _tags(quick) == _tags(plain)
    assert "<b>" not in str(Quick(data)["text"])


def test_quick_date_prints_a_date_as_browsers_send_it():
    class Quick(forms.Form):
        day = forms.DateField(widget=QuickDate)

    printed = str(Quick(initial={"day": date(2026, 12, 6)})["day"])
    assert 'type="date"' in printed and 'value="2026-12-06"' in printed


@pytest.mark.django_db
def test_quick_select_matches_django_select_for_model_choices():
    milan = ScopeTag.objects.create(name="Milan & Rome")
    ScopeTag.objects.create(name="London")
    plain, quick = _both(
        lambda widget: forms.ModelChoiceField(
            queryset=ScopeTag.objects.all(), required=True, empty_label="Any", widget=widget
        ),
        {"choice": str(milan.pk)},
    )
    assert _tags(quick) == _tags(plain)
    assert " required" in quick and "Milan &amp; Rome" in quick


@pytest.mark.django_db
def test_model_choices_are_read_in_one_plain_query():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from utilities.fields import ModelChoiceField

    ScopeTag.objects.create(name="Milan")

    class Quick(forms.Form):
        choice = ModelChoiceField(queryset=ScopeTag.objects.all(), widget=QuickSelect)

    class Plain(forms.Form):
        choice = forms.ModelChoiceField(queryset=ScopeTag.objects.all(), widget=QuickSelect)

    with CaptureQueriesContext(connection) as queries:
        quick = str(Quick()["choice"])
    assert len(queries) == 1 and not queries[0]["sql"].startswith("DECLARE")
    assert quick == str(Plain()["choice"]) and "Milan" in quick
