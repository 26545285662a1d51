from django.apps import AppConfig


class MobileAppsConfig(AppConfig):
    name = "mobile_apps"
    verbose_name = "Apps"
    url_prefix = "apps/"

    def ready(self):
        from devices.extensions import CHECK_IN_STEPS, PANELS, CheckInStep, DevicePanel

        from . import workload  # noqa: F401  (its workload, permissions and sidebar entry)
        from .selectors import device_panel_context, devices_with_pending_installs
        from .services import apps_check_in

        PANELS.append(DevicePanel("mobile_apps/device_panel.html", device_panel_context))
        CHECK_IN_STEPS.append(CheckInStep(apps_check_in, devices_with_pending_installs))
