from django.apps import AppConfig


class DevicePoliciesConfig(AppConfig):
    name = "device_policies"
    verbose_name = "Compliance and configuration policies"
    url_prefix = "devices/"

    def ready(self):
        from devices.extensions import CHECK_IN_STEPS, PANELS, CheckInStep, DevicePanel

        from . import workload  # noqa: F401  (its workload, permissions and sidebar entry)
        from .selectors import device_panel_context, devices_with_pending_states
        from .services import policies_check_in

        PANELS.append(DevicePanel("device_policies/device_panel.html", device_panel_context))
        CHECK_IN_STEPS.append(CheckInStep(policies_check_in, devices_with_pending_states))
