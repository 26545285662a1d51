"""The one way a page starts a protected operation.

Every page that creates, edits, deletes or assigns something protected (device actions, roles,
scripts, categories, access policies, ...) is a subclass of StartOperationView; the Django
admin's actions use `protected_admin_action` (approvals.admin_actions). Both call
`operation_start` and tell the user the same things.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views import View

from rbac.decorators import permission_required
from rbac.stepup import stepup_response

from ..filings import filing_start
from ..forms import JustificationForm
from ..operations import OperationError
from ..selectors import refused_filing
from ..services import (
    ApprovalDenied,
    ApprovalError,
    OpenRequestExists,
    break_glass_policy,
    operation_break_glass,
    operation_is_protected,
    operation_start,
)


def requires_approval_message(request_id: int):
    return format_html(
        'This operation requires approval. <a href="{}">Request #{}</a> was sent to the '
        "approvers; nothing runs until it is approved and you complete it.",
        reverse("approvals:request_detail", args=[request_id]),
        request_id,
    )


class StartOperationView(View):
    """Show the form, start the operation, then say "requires approval" or show the result.

    Subclasses name the operation and the permission, and build the payload from the form.
    A refusal puts its reason on the form, so nothing typed is lost.
    """

    operation_code = ""
    permission = ""  # checked before anything else; login alone when empty
    form_class = JustificationForm
    template_name = "form.html"
    title = ""
    intro = ""
    submit = "Save"
    danger = False
    # Filed by a worker (approvals.filings): for operations whose filing reads more than a
    # page may (a bulk action's selection); the page then follows the filing.
    files_in_background = False

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        permission = initkwargs.get("permission", cls.permission)
        return permission_required(permission)(view) if permission else login_required(view)

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = None

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    # What subclasses fill in.
    def get_object(self):
        """The object the operation acts on (None for a create); may raise Http404/403."""
        return None

    def get_operation_code(self) -> str:
        return self.operation_code

    def get_initial(self) -> dict | None:
        return None

    def get_form_kwargs(self) -> dict:
        return {}

    def get_payload(self, form) -> dict:
        raise NotImplementedError

    def get_success_url(self) -> str:
        raise NotImplementedError

    def get_cancel_url(self) -> str:
        return self.get_success_url()

    def get_context(self) -> dict:
        return {}

    def get_blocking_request(self):
        """An open request that makes this change impossible now (shown before any typing)."""
        return None

    # The flow, the same for every page.
    def get(self, request, *args, **kwargs):
        filing = refused_filing(request.user, request.GET.get("refused", ""))
        if filing is None:
            return self.render(self.make_form(None))
        # Back from a filing the worker refused: the refusal on the form, with what was typed.
        form = self.make_form(filing.typed())
        form.is_valid()
        form.add_error(None, filing.refusal)
        return self.render(form)

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        breaking_glass = bool(request.POST.get("break_glass"))
        if breaking_glass:
            # An emergency run needs a fresh second factor, as a decision does; the POST is
            # kept and replayed after the step-up.
            response = stepup_response(request, "break the glass")
            if response is not None:
                return response
        if form.is_valid():
            response = self.break_glass(form) if breaking_glass else self.start(form)
            if response:
                return response
        return self.render(form)

    def make_form(self, data):
        self.protected = operation_is_protected(self.get_operation_code())
        return self.form_class(
            data,
            initial=None if data is not None else self.get_initial(),
            protected=self.protected,
            **self.get_form_kwargs(),
        )

    def _refused(self, form, call):
        """Run `call`; a refusal goes on the form (nothing typed is lost) and gives None."""
        try:
            return call()
        except ApprovalDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except OpenRequestExists as exc:
            url = reverse("approvals:request_detail", args=[exc.existing.pk])
            form.add_error(
                None, format_html('{} <a href="{}">Open request #{}</a>', exc, url, exc.existing.pk)
            )
        except (OperationError, ApprovalError) as exc:
            form.add_error(None, str(exc))
        return None

    def _start_kwargs(self, form) -> dict:
        return {
            "actor": self.request.user,
            "operation_code": self.get_operation_code(),
            "payload": self.get_payload(form),
            "justification": form.cleaned_data.get("justification", ""),
        }

    def break_glass(self, form):
        request = self._refused(form, lambda: operation_break_glass(**self._start_kwargs(form)))
        if request is None:
            return None
        messages.warning(
            self.request,
            "Break-glass: the operation is queued to run now. Every approver of the policy was "
            "told, and they will review whether it was justified.",
        )
        return redirect("approvals:request_detail", request.pk)

    def start(self, form):
        run_at = form.cleaned_data.get("run_at")
        if self.files_in_background:
            filing = self._refused(
                form,
                lambda: filing_start(
                    **self._start_kwargs(form),
                    run_at=run_at,
                    form_url=self.request.get_full_path(),
                ),
            )
            return filing and redirect("approvals:filing_detail", filing.pk)
        outcome = self._refused(
            form, lambda: operation_start(**self._start_kwargs(form), run_at=run_at)
        )
        if outcome is None:
            return None
        if outcome.needs_approval:
            messages.warning(self.request, requires_approval_message(outcome.request.pk))
            return redirect("approvals:request_detail", outcome.request.pk)
        messages.success(self.request, outcome.result)
        return redirect(self.get_success_url())

    def render(self, form):
        context = {
            "form": form,
            "object": self.object,
            "title": self.title,
            "intro": self.intro,
            "submit": self.submit,
            "danger": self.danger,
            "protected": getattr(form, "protected", self.protected),
            "cancel_url": self.get_cancel_url(),
            "blocking_request": self.get_blocking_request(),
            "break_glass": self.protected
            and break_glass_policy(self.get_operation_code(), self.request.user),
            **self.get_context(),
        }
        return render(self.request, self.template_name, context)
