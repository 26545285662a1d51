"""Sign-in: identity's page. Apps above RBAC explain where a sign-in leads (an approver's email
link says which request it is for) by registering a hint, without RBAC knowing them."""

from collections.abc import Callable

from django.contrib.auth.views import LoginView

# Each takes the address the person signs in to reach and returns a sentence, or "".
_hints: list[Callable[[str], str]] = []


def sign_in_hint_register(hint: Callable[[str], str]) -> Callable[[str], str]:
    _hints.append(hint)
    return hint


def sign_in_hint(next_url: str) -> str:
    return next((text for hint in _hints if (text := hint(next_url))), "")


class SignInView(LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sign_in_hint"] = sign_in_hint(self.get_redirect_url())
        return context
