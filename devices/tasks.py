from celery import shared_task
from django.conf import settings

from .services import device_check_in, devices_with_open_commands


@shared_task(ignore_result=True)
def simulated_check_in() -> int:
    """Devices with commands waiting check in, as real devices would on their schedule."""
    if not settings.DEVICE_CHECK_IN_SIMULATION:
        return 0
    device_ids = devices_with_open_commands()
    for device_id in device_ids:
        device_check_in(device_id=device_id)
    return len(device_ids)
