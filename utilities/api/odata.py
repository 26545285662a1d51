"""OData query options as Graph clients send them: $filter, $select, $top, $orderby, $count.

odata-query parses (a real OData v4 grammar); what may be asked is decided here, per resource:
the properties it names in `odata_filter` (Graph's name -> a `Prop`), the operators eq, ne, and,
or, not and startswith. Anything else answers 400 saying what is not supported, never a silent
ignore and never a 500. Paging ($top, $skiptoken) is NextLinkPagination's; $select and
@odata.context are the viewset's (ApiViewSet).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from odata_query import ast
from odata_query.exceptions import ODataException
from odata_query.grammar import ODataLexer, ODataParser
from rest_framework.filters import BaseFilterBackend

from .exceptions import bad_request

QUERY_OPTIONS = {"$filter", "$select", "$top", "$orderby", "$count", "$skiptoken"}


@dataclass(frozen=True)
class Prop:
    """A filterable property: its ORM path; `enum` when stored snake_case and sent camelCase,
    or `values` mapping Graph's values to the stored ones where the words differ."""

    field: str
    enum: bool = False
    values: dict[str, str] | None = None

    def stored(self, value):
        if self.values is not None:
            return self.values.get(value, value)
        return snake_value(value) if self.enum and isinstance(value, str) else value


def snake_value(value: str) -> str:
    """Graph's enum value as stored: "inGracePeriod" -> "in_grace_period"."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", value).lower()


class _Translate:
    """The parsed $filter as a Q, refusing every node it does not know."""

    def __init__(self, props: dict[str, Prop], model):
        self.props, self.model = props, model

    def q(self, node) -> Q:
        if isinstance(node, ast.BoolOp):
            left, right = self.q(node.left), self.q(node.right)
            return left & right if isinstance(node.op, ast.And) else left | right
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~self.q(node.operand)
        if isinstance(node, ast.Compare) and isinstance(node.comparator, (ast.Eq, ast.NotEq)):
            q = self._lookup(node.left, node.right, "exact")
            return ~q if isinstance(node.comparator, ast.NotEq) else q
        if isinstance(node, ast.Call) and node.func.name == "startswith" and len(node.args) == 2:
            return self._lookup(node.args[0], node.args[1], "startswith")
        raise bad_request(
            "$filter supports eq, ne, and, or, not and startswith(property, 'text'); "
            f"this is not supported: {_words(node)}."
        )

    def _lookup(self, left, right, lookup: str) -> Q:
        if not isinstance(left, ast.Identifier) or left.name not in self.props:
            raise bad_request(
                f"Filtering on {_words(left)} is not supported here; these properties are: "
                f"{', '.join(sorted(self.props))}."
            )
        if not isinstance(right, (ast.String, ast.Integer, ast.Boolean, ast.GUID, ast.Null)):
            raise bad_request(f"Compare {left.name} with a literal, not {_words(right)}.")
        prop = self.props[left.name]
        value = prop.stored(right.py_val)
        if value is not None:
            self._check(left.name, prop.field, value, right.py_val)
        return Q(**{f"{prop.field}__{lookup}" if value is not None else prop.field: value})

    def _check(self, name: str, path: str, value, sent) -> None:
        """A value the column cannot hold is the caller's mistake (a GUID that is not one)."""
        model, *relations, column = [self.model, *path.split("__")]
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        field = model._meta.get_field(column)
        try:
            field.to_python(value)
        except ValidationError:
            raise bad_request(f"{sent!r} is not a valid value for {name}.") from None
        if field.choices and value not in {choice for choice, _ in field.flatchoices}:
            raise bad_request(f"{name} has no value {sent!r}.")


def _words(node) -> str:
    return type(node).__name__ if not isinstance(node, ast.Identifier) else node.name


def filter_q(text: str, props: dict[str, Prop], model) -> Q:
    try:
        tree = ODataParser().parse(ODataLexer().tokenize(text))
    except ODataException as exc:
        raise bad_request(f"$filter could not be read: {exc}") from None
    return _Translate(props, model).q(tree)


class ODataFilter(BaseFilterBackend):
    """Refuses unknown query options and applies $filter with the view's `odata_filter`."""

    def filter_queryset(self, request, queryset, view):
        options = sorted(k for k in request.query_params if k.startswith("$"))
        unsupported = [k for k in options if k not in QUERY_OPTIONS]
        if unsupported:
            raise bad_request(f"The query option {', '.join(unsupported)} is not supported.")
        text = request.query_params.get("$filter")
        if text is None:
            return queryset
        props = getattr(view, "odata_filter", {})
        if not props:
            raise bad_request("This resource does not support $filter.")
        return queryset.filter(filter_q(text, props, queryset.model))

    def get_schema_operation_parameters(self, view):
        props = ", ".join(sorted(getattr(view, "odata_filter", {})))
        if not props:
            return []
        return [
            {
                "name": "$filter",
                "in": "query",
                "required": False,
                "description": f"OData: eq, ne, and, or, not, startswith on {props}",
                "schema": {"type": "string"},
            }
        ]
