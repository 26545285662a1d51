"""The device page's history in words: one line per audit event of the device."""

from dataclasses import dataclass
from datetime import datetime

from .models import ManagementState

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


@dataclass(frozen=True)
class HistoryLine:
    created_at: datetime
    text: str  # e.g. "Hazel sent a wipe command"
    change: str  # e.g. "Enrolled → Wipe pending"; "" when the state stayed


def _sentence(event) -> str:
    actor = "The device" if event.actor_label == "device" else event.actor_label
    kind, _, what = event.action.partition(".")
    if what in _RUNS:
        noun = "remediation" if kind == "remediation" else "script"
        return f"The device ran the {noun} {event.note}: {_RUNS[what]}"
    if event.action in _REPORTS:
        return _REPORTS[event.action].format(note=event.note)
    sentence = _SENTENCES.get(event.action, f"{actor}: {event.action}").format(actor=actor)
    return f"{sentence} ({event.note})" if event.note else sentence


def _change(event) -> str:
    if event.from_state == event.to_state:
        return ""
    before, after = (_STATES.get(state, state) for state in (event.from_state, event.to_state))
    return f"{before} → {after}"


def history_lines(events) -> list[HistoryLine]:
    """The device's audit events as the page says them, in the order given."""
    return [HistoryLine(e.created_at, _sentence(e), _change(e)) for e in events]
