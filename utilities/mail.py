"""Mail plumbing shared by every app that sends email."""

import smtplib

# Worth retrying: the mail server or the network, not the message.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)
