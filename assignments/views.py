"""The pages that add, edit, assign and delete a script, an app or a policy (an Assignable of
assignments.assignable).

Each is a StartOperationView named in the domain's urls with its Assignable, so the flow (needs
approval or runs, refusals kept on the form) is the portal's one flow.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse

from approvals.forms import JustificationForm
from approvals.operations.model import PERMISSION_OF_ACTION
from approvals.views.starting import StartOperationView

from .assignable import Assignable, GroupAssignmentForm


class AssignableView(StartOperationView):
    spec: Assignable | None = None
    action = ""

    @classmethod
    def as_view(cls, *, spec: Assignable, **initkwargs):
        permission = spec.permissions[PERMISSION_OF_ACTION[cls.action]]
        return super().as_view(spec=spec, permission=permission, **initkwargs)

    def get_object(self):
        return get_object_or_404(self.spec.objects(), pk=self.kwargs["pk"])

    def get_operation_code(self) -> str:
        return f"{self.spec.prefix}.{self.action}"

    def get_success_url(self) -> str:
        if self.object is None or self.action == "delete":
            return reverse(self.spec.list_url)
        return reverse(self.spec.detail_url, args=[self.object.pk])

    def get_context(self) -> dict:
        name = f" {self.object}" if self.object else ""
        return {"title": f"{self.action.capitalize()} {self.spec.noun}{name}"}


class AssignableAssignView(AssignableView):
    action = "assign"
    form_class = GroupAssignmentForm

    def get_form_kwargs(self) -> dict:
        return {"modes": self.modes()}

    def modes(self) -> list[tuple[str, str, str]]:
        help_texts = {
            "include": "The devices of these groups' members receive it at their next check-in.",
            "required": "Installed on the devices of these groups' members at check-in.",
            "available": "Offered in Company Portal; the user chooses to install it.",
            "uninstall": "Removed from the devices of these groups' members.",
            "exclude": "Devices of these groups' members never receive it; exclusion wins.",
        }
        return [(mode, label, help_texts.get(mode, "")) for mode, label in self.spec.modes]

    def get_initial(self) -> dict:
        return GroupAssignmentForm.initial_for(self.object.assignments.all())

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk, "groups": form.groups()}


class AssignableDeleteView(AssignableView):
    action = "delete"
    form_class = JustificationForm
    submit = "Delete"
    danger = True
    intro = "Its assignments and device results are removed with it."

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk}

    def get_cancel_url(self) -> str:
        return reverse(self.spec.detail_url, args=[self.object.pk])


class AssignableEditView(AssignableView):
    """Edit: the domain gives the form (with `state()` and `initial_for(obj)`)."""

    action = "edit"

    def get_initial(self) -> dict:
        return self.form_class.initial_for(self.object)

    def get_form_kwargs(self) -> dict:
        return self.form_class.kwargs_for(self.object, self.kwargs)

    def get_payload(self, form) -> dict:
        return {"object_id": self.object.pk, "state": form.state()}


class AssignableCreateView(AssignableView):
    action = "create"

    def get_object(self):
        return None

    def get_form_kwargs(self) -> dict:
        return self.form_class.kwargs_for(None, self.kwargs)

    def get_payload(self, form) -> dict:
        return {"state": form.state()}
