from django import template

from ..models import ManagementState

register = template.Library()
_STATES = dict(ManagementState.choices)


@register.filter
def device_state_label(state: str) -> str:
    return _STATES.get(state, state)
