from rest_framework import serializers


def camel_value(value: str) -> str:
    """An enum value or a property name as Graph writes it: "needs_approval" ->
    "needsApproval", "run_as_32_bit" -> "runAs32Bit"."""
    first, *rest = str(value).split("_")
    return first + "".join(word.capitalize() for word in rest)


class EnumField(serializers.CharField):
    """A choice stored snake_case, shown camelCase (read only)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return camel_value(value)


class IdListField(serializers.ListField):
    """Graph's string ids (of groups, tags, applications), kept as integer keys; reads a list
    of ids or a related manager."""

    child = serializers.RegexField(r"^\d+$", error_messages={"invalid": "An id (digits)."})

    def to_internal_value(self, data):
        return sorted({int(pk) for pk in super().to_internal_value(data)})

    def to_representation(self, data):
        items = data.all() if hasattr(data, "all") else data
        return sorted((str(getattr(item, "pk", item)) for item in items), key=int)
