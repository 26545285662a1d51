"""Where other domains plug into a device: a panel on the device page, a step of its check-in.

Scripts (and later apps, compliance and configuration) reach devices; the device domain does
not know them. They register here from their AppConfig.ready().
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DevicePanel:
    template: str
    # (device, user) -> the template's context; None hides the panel (e.g. no permission).
    context: Callable[..., dict | None]


@dataclass(frozen=True)
class CheckInStep:
    # Runs inside the check-in's transaction, with the device row locked.
    run: Callable[..., None]
    # The devices that have something waiting for them (a values_list of device ids).
    pending_device_ids: Callable[[], object]


PANELS: list[DevicePanel] = []
CHECK_IN_STEPS: list[CheckInStep] = []


def device_panels(device, user) -> list[dict]:
    panels = []
    for panel in PANELS:
        context = panel.context(device, user)
        if context is not None:
            panels.append({"template": panel.template, **context})
    return panels
