"""The demo's mailbox: the emails the file backend wrote, while DEBUG is on.

Each signed-in user sees only the emails sent to them: the approver links in them decide
requests, so a signed-out visitor sees nothing.
"""

import email
from email import policy

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def _messages(address: str) -> list[dict]:
    folder = settings.EMAIL_FILE_PATH
    if not address or not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:500]:
        # Bytes, parsed as email: the parser honours each part's charset and transfer encoding.
        for raw in reversed(path.read_bytes().split(SEPARATOR)):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip(), policy=policy.default)
            if address.lower() not in str(message["to"] or "").lower():
                continue
            body = message.get_body(preferencelist=("plain",))
            found.append(
                {
                    "subject": message["subject"],
                    "to": message["to"],
                    "date": message["date"],
                    "body": body.get_content() if body else "",
                }
            )
    return found


@login_required
def sent_mail(request):
    if not settings.DEBUG:
        raise Http404("The mailbox page exists only when DEBUG is on.")
    return render(request, "approvals/sent_mail.html", {"mails": _messages(request.user.email)})
