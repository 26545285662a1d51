"""The Teams and Slack webhooks page: policy admins add and remove the channels told of
requests. A URL, once saved, is shown only as its hint (approvals.chat)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rbac.catalogue import Perm
from rbac.decorators import permission_required

from ..chat import ChatError, webhook_create, webhook_delete
from ..models import AccessPolicy, ChatKind, ChatWebhook, PolicyStatus


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=128, help_text="e.g. the channel's name.")
    kind = forms.ChoiceField(label="Chat", choices=ChatKind.choices)
    # A password input: the secret is not echoed back on the page or kept by the browser.
    url = forms.CharField(
        label="Webhook URL",
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="The https:// URL of a Teams Workflows (incoming webhook) or a Slack incoming "
        "webhook. It is stored encrypted and never shown again in full.",
    )
    policy = forms.ModelChoiceField(
        queryset=AccessPolicy.objects.filter(status=PolicyStatus.ACTIVE),
        required=False,
        empty_label="Every access policy (tenant-wide)",
        help_text="Post only the requests of this policy.",
    )


@permission_required(Perm.MAA_POLICY_UPDATE)
def chat_webhooks(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook_create(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                url=data["url"],
                policy=data["policy"],
            )
        except ChatError as exc:
            form.add_error("url", str(exc))
        else:
            messages.success(request, f"Webhook {data['name']} added.")
            return redirect("approvals:chat_webhooks")
    return render(
        request,
        "approvals/chat_webhooks.html",
        {
            "tab": "chat",
            "form": form,
            "webhooks": ChatWebhook.objects.select_related("policy", "created_by"),
        },
    )


@require_POST
@permission_required(Perm.MAA_POLICY_UPDATE)
def chat_webhook_delete(request, pk):
    webhook_delete(actor=request.user, webhook_id=pk)
    messages.success(request, "Webhook removed.")
    return redirect("approvals:chat_webhooks")
