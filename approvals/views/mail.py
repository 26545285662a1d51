"""The demo's outbox: emails the file backend wrote, readable in the browser while DEBUG is on."""

import email
from email import policy

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

SEPARATOR = "\n" + "-" * 79 + "\n"


def _messages():
    folder = settings.EMAIL_FILE_PATH
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:200]:
        for raw in reversed(path.read_text(errors="replace").split(SEPARATOR)):
            if raw.strip():
                message = email.message_from_string(raw.strip(), policy=policy.default)
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


def sent_mail(request):
    # Readable signed out, so a demo user can follow an approver link through the login page.
    if not settings.DEBUG:
        raise Http404("The sent-mail page exists only when DEBUG is on.")
    return render(request, "approvals/sent_mail.html", {"mails": _messages()})
