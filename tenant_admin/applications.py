"""Tenant administration > API applications: create one, see its client id and (once) its
secret, choose its groups, revoke its tokens, reset its secret, disable it."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from oauth2_provider.models import AccessToken

from rbac.applications import (
    ApplicationError,
    application_create,
    application_groups_set,
    application_of,
    application_secret_reset,
    application_set_enabled,
    application_tokens_revoke,
)
from rbac.decorators import directory_admin_required
from rbac.models import SecurityGroup, User


class ApplicationForm(forms.Form):
    name = forms.CharField(max_length=128)
    groups = forms.ModelMultipleChoiceField(
        queryset=SecurityGroup.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Role assignments of these groups apply to the application, as to a user.",
    )


def _applications():
    return User.objects.filter(is_application=True).prefetch_related("groups__security_group")


@directory_admin_required
def application_index(request):
    return render(request, "tenant_admin/application_list.html", {"applications": _applications()})


@never_cache
@directory_admin_required
def application_new(request):
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            principal, application, secret = application_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                group_ids=[g.pk for g in form.cleaned_data["groups"]],
            )
        except ApplicationError as exc:
            form.add_error("name", str(exc))
        else:
            # The only time the secret is shown: it is stored hashed.
            return render(
                request,
                "tenant_admin/application_secret.html",
                {"principal": principal, "application": application, "secret": secret},
            )
    return render(
        request,
        "form.html",
        {"form": form, "title": "New API application", "submit": "Create", "cancel_url": "."},
    )


@directory_admin_required
def application_detail(request, pk):
    principal = get_object_or_404(_applications(), pk=pk)
    application = application_of(principal)
    form = ApplicationForm(
        request.POST or None,
        initial={
            "name": principal.display_name,
            "groups": SecurityGroup.objects.filter(auth_group__user=principal),
        },
    )
    form.fields["name"].disabled = True
    if request.method == "POST" and form.is_valid():
        application_groups_set(
            actor=request.user,
            principal_id=principal.pk,
            group_ids=[g.pk for g in form.cleaned_data["groups"]],
        )
        messages.success(request, "Groups saved.")
        return redirect("tenant_admin:application_detail", principal.pk)
    return render(
        request,
        "tenant_admin/application_detail.html",
        {
            "principal": principal,
            "application": application,
            "form": form,
            "live_tokens": AccessToken.objects.filter(application=application).count(),
            "exclusions": principal.policy_exclusions.all(),
        },
    )


@never_cache
@require_POST
@directory_admin_required
def application_action(request, pk, action):
    principal = get_object_or_404(_applications(), pk=pk)
    if action == "reset":
        secret = application_secret_reset(actor=request.user, principal_id=principal.pk)
        return render(
            request,
            "tenant_admin/application_secret.html",
            {"principal": principal, "application": application_of(principal), "secret": secret},
        )
    if action == "revoke":
        count = application_tokens_revoke(actor=request.user, principal_id=principal.pk)
        messages.success(request, f"{count} token(s) revoked.")
    elif action in ("disable", "enable"):
        application_set_enabled(
            actor=request.user, principal_id=principal.pk, enabled=action == "enable"
        )
        messages.success(request, f"Application {action}d.")
    return redirect("tenant_admin:application_detail", principal.pk)
