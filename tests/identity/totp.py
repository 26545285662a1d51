"""A person's authenticator app: TOTP codes computed from the enrolled secret (RFC 6238)."""

import time

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PERIOD = 30


def enrol(user, secret: str = SECRET) -> str:
    """What the enrolment page does once the first code is right: the secret, stored."""
    TOTP.activate(user, secret)
    return secret


def code(secret: str = SECRET, *, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // PERIOD + offset))
