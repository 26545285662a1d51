from django.apps import AppConfig


class DeviceScriptsConfig(AppConfig):
    name = "device_scripts"
    verbose_name = "Scripts and remediations"
    url_prefix = "devices/scripts/"

    def ready(self):
        from devices.extensions import (
            CHECK_IN_STEPS,
            PANELS,
            CheckInStep,
            DevicePanel,
        )

        from . import workload  # noqa: F401  (its workload, permissions and sidebar entry)
        from .selectors import device_panel_context, devices_with_pending_runs
        from .services import scripts_check_in

        PANELS.append(DevicePanel("device_scripts/device_panel.html", device_panel_context))
        CHECK_IN_STEPS.append(CheckInStep(scripts_check_in, devices_with_pending_runs))
