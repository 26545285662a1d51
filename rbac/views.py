from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render

from audit.chain import audit_record

from .forms import PreferencesForm
from .models import Permission, User


@login_required
def profile(request):
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            User.objects.filter(pk=request.user.pk).update(muted_notifications=form.muted())
            audit_record(
                actor=request.user,
                action="user.preferences",
                target=request.user,
                data={"muted": form.muted()},
            )
        messages.success(request, "Notification preferences saved.")
        return redirect("rbac:profile")
    return render(
        request,
        "rbac/profile.html",
        {"form": form, "permissions": Permission.objects.all()},
    )
