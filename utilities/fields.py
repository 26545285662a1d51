"""Form fields of the pages' forms."""

from django import forms
from django.forms.models import ModelChoiceIterator


class _ListedChoices(ModelChoiceIterator):
    """The choices in one plain query.

    Django's iterator reads them with QuerySet.iterator(): on PostgreSQL a server-side cursor,
    so DECLARE, FETCH and CLOSE for a handful of rows (a select cost the device page 1.1 ms
    where one query takes 0.4).
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoices
