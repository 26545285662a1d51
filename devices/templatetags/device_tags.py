from django import template

from ..models import ManagementState

register = template.Library()
_STATES = dict(ManagementState.choices)

# What the device history says, as sentences; {actor} is who did it.
_SENTENCES = {
    "device.wipe": "{actor} sent a wipe command",
    "device.retire": "{actor} sent a retire command",
    "device.delete": "{actor} deleted the device from management",
    "device.sync": "{actor} asked the device to sync",
    "device.wipe_acknowledged": "The device received the wipe command and started its reset",
    "device.wipe_done": "The device finished its reset: it is wiped",
    "device.retire_acknowledged": "The device received the retire command",
    "device.retire_done": "The device removed company data and left management",
    "device.sync_done": "The device synced",
    "device.category": "{actor} changed the device category",
}
_RUNS = {"run_succeeded": "succeeded", "run_failed": "failed"}
# Reports of the other workloads at check-in; the event's note names the app or policy.
_REPORTS = {
    "app.install_installed": "The device installed {note}",
    "app.install_failed": "The device failed to install {note}",
    "app.install_not_installed": "The device uninstalled {note}",
    "compliance.compliant": "The device is compliant with {note}",
    "compliance.in_grace": "The device fails {note}: in grace period",
    "compliance.noncompliant": "The device is not compliant with {note}",
    "configuration.succeeded": "The device applied {note}",
    "configuration.conflict": "The device reports a settings conflict in {note}",
}


@register.filter
def device_state_label(state: str) -> str:
    return _STATES.get(state, state)


@register.filter
def device_event(event) -> str:
    """One line of device history in words, e.g. "Hazel sent a wipe command"."""
    actor = "The device" if event.actor_label == "device" else event.actor_label
    kind, _, what = event.action.partition(".")
    if what in _RUNS:
        noun = "remediation" if kind == "remediation" else "script"
        return f"The device ran the {noun} {event.note}: {_RUNS[what]}"
    if event.action in _REPORTS:
        return _REPORTS[event.action].format(note=event.note)
    sentence = _SENTENCES.get(event.action, f"{actor}: {event.action}").format(actor=actor)
    return f"{sentence} ({event.note})" if event.note else sentence
