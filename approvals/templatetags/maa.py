from django import template

from approvals import windows
from approvals.models import ExecutionStatus, PolicyStatus, RequestStatus, ReviewStatus
from rbac.selectors import access_for

register = template.Library()

_EVENTS = {
    "request.submit": "submitted the request",
    "request.approve": "approved",
    "request.reject": "rejected",
    "request.cancel": "cancelled the request",
    "request.complete": "completed the request",
    "request.expire": "expired the request",
    "request.stage_open": "opened the next stage",
    "request.break_glass": "broke the glass: ran it at once, without approval",
    "break_glass.review": "reviewed the break-glass run",
    "break_glass.overdue": "escalated the unreviewed break-glass run",
    "request.decision_refused": "was refused a decision",
    "request.remind_approvers": "reminded the approvers",
    "request.remind_requestor": "reminded the requestor",
    "execution.running": "started the execution",
    "execution.succeeded": "finished the execution",
    "execution.failed": "reports the execution failed",
    "execution.retry": "queued the execution again",
    "execution.released": "queued the scheduled execution",
    "link.open": "opened the approval link",
    "link.refused": "was refused by the approval link",
}
_STATES = {
    **dict(RequestStatus.choices),
    **dict(ExecutionStatus.choices),
    **dict(PolicyStatus.choices),
    **dict(ReviewStatus.choices),
}


@register.filter
def may(user, code: str) -> bool:
    """{% if user|may:"maa.read_access_policy" %}: holds the permission somewhere."""
    return access_for(user).has(code)


@register.filter
def hours(duration) -> str:
    return f"{duration.total_seconds() / 3600:g} hours"


@register.filter
def change_windows(state: dict) -> str:
    return windows.describe(state)


@register.filter
def event_label(action: str) -> str:
    return _EVENTS.get(action, action)


@register.filter
def state_label(state: str) -> str:
    return _STATES.get(state, state)
