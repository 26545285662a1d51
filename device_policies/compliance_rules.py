"""Compliance rules (Intune: Devices > Compliance > Create policy > Compliance settings).

Each rule is a typed setting plus how a device is measured against it. Devices evaluate the
rules of their assigned policies at check-in, against their own properties.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from .settings import BOOLEAN, INTEGER, STRING, Setting
from .settings import PolicyPlatform as P

ALL = (P.WINDOWS, P.MACOS, P.IOS, P.ANDROID)
REQUIRE = ("Require", "Not configured")
BLOCK = ("Block", "Not configured")


def version_key(text: str) -> tuple[int, ...]:
    """ "10.0.26100.2605" -> (10, 0, 26100, 2605); "17.5" -> (17, 5)."""
    return tuple(int(part) for part in re.findall(r"\d+", text or ""))


@dataclass(frozen=True)
class Rule:
    setting: Setting
    # (device, value) -> (passes, what the device has)
    measure: Callable[..., tuple[bool, str]]


def _min_version(device, value):
    return version_key(device.os_version) >= version_key(value), device.os_version


def _max_version(device, value):
    return version_key(device.os_version) <= version_key(value), device.os_version


def _flag(attribute: str, shown: tuple[str, str], *, wanted: bool = True):
    def measure(device, value):
        actual = getattr(device, attribute)
        text = shown[0] if actual else shown[1]
        return (not value) or actual == wanted, text

    return measure


def _password_length(device, value):
    have = device.password_length
    return have >= value, f"{have} characters" if have else "No password"


RULES: list[Rule] = [
    Rule(
        Setting(
            "os.minimum_version",
            "Minimum OS version",
            "Device Properties",
            "Devices on an older version are noncompliant. Windows: a build such as "
            "10.0.22631.2861.",
            STRING,
            ALL,
        ),
        _min_version,
    ),
    Rule(
        Setting(
            "os.maximum_version",
            "Maximum OS version",
            "Device Properties",
            "Devices on a newer version (e.g. an untested beta) are noncompliant.",
            STRING,
            ALL,
        ),
        _max_version,
    ),
    Rule(
        Setting(
            "encryption.required",
            "Require encryption (BitLocker on Windows, FileVault on macOS)",
            "Device Health",
            "Data storage on the device must be encrypted.",
            BOOLEAN,
            (P.WINDOWS, P.MACOS, P.ANDROID),
            yes_no=REQUIRE,
        ),
        _flag("encrypted", ("Encrypted", "Not encrypted")),
    ),
    Rule(
        Setting(
            "password.required",
            "Require a password to unlock devices",
            "System Security",
            "A password, PIN or passcode must be set.",
            BOOLEAN,
            ALL,
            yes_no=REQUIRE,
        ),
        lambda device, value: (
            (not value) or device.password_length > 0,
            "Password set" if device.password_length else "No password",
        ),
    ),
    Rule(
        Setting(
            "password.minimum_length",
            "Minimum password length",
            "System Security",
            "The password must have at least this many characters.",
            INTEGER,
            ALL,
            minimum=4,
            maximum=16,
        ),
        _password_length,
    ),
    Rule(
        Setting(
            "device.block_jailbroken",
            "Jailbroken or rooted devices",
            "Device Health",
            "Jailbroken (iOS) or rooted (Android) devices are noncompliant.",
            BOOLEAN,
            (P.IOS, P.ANDROID),
            yes_no=BLOCK,
        ),
        _flag("jailbroken", ("Jailbroken or rooted", "Not jailbroken"), wanted=False),
    ),
    Rule(
        Setting(
            "windows.firewall_required",
            "Firewall",
            "System Security",
            "Microsoft Defender Firewall must be on.",
            BOOLEAN,
            (P.WINDOWS,),
            yes_no=REQUIRE,
        ),
        _flag("firewall_enabled", ("Firewall on", "Firewall off")),
    ),
    Rule(
        Setting(
            "windows.antivirus_required",
            "Antivirus",
            "System Security",
            "An antivirus registered with Windows Security Center must be on.",
            BOOLEAN,
            (P.WINDOWS,),
            yes_no=REQUIRE,
        ),
        _flag("antivirus_enabled", ("Antivirus on", "Antivirus off")),
    ),
]
RULES_BY_KEY: dict[str, Rule] = {rule.setting.key: rule for rule in RULES}
CATALOG: dict[str, Setting] = {rule.setting.key: rule.setting for rule in RULES}


def failed_rules(device, values: dict) -> list[dict]:
    """The rules of `values` the device fails: what was required and what it has."""
    failures = []
    for key, value in values.items():
        rule = RULES_BY_KEY[key]
        passes, actual = rule.measure(device, value)
        if not passes:
            failures.append(
                {
                    "key": key,
                    "rule": rule.setting.name,
                    "required": rule.setting.shown(value),
                    "actual": actual,
                }
            )
    return failures
