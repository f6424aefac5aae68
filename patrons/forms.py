"""Forms of the patrons app: the reset mail a patron's login receives."""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.template import loader


class PatronLoginTokens(PasswordResetTokenGenerator):
    """Reset tokens bound to the address on the patron record, which their login has no copy of.

    Django binds a token to the login's own email, which a patron's login keeps
    empty; binding it to the patron record's address instead means a link stops
    working once that address changes.
    """

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        patron = getattr(user, "patron", None)
        address = (patron.email if patron is not None else user.email) or ""
        login = (
            "" if user.last_login is None else user.last_login.replace(microsecond=0, tzinfo=None)
        )
        return f"{user.pk}{user.password}{login}{timestamp}{address}"


patron_login_tokens = PatronLoginTokens()


class PasswordResetMailForm(PasswordResetForm):
    """Django's reset form for the worker, over patron logins and the patron record's address.

    The address is looked up on the patron record, the one source of a patron's
    identity (their login keeps no copy of it), and a login whose password was
    never set is included: the link is how a new login's patron sets it. A
    failed send raises, so the task retries it.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        """Yield the active patron logins whose patron has this address, carrying it."""
        logins = (
            get_user_model()
            ._default_manager.filter(is_active=True, patron__email__iexact=email)
            .select_related("patron")
        )
        for login in logins:
            login.email = login.patron.email  # in memory only: where Django's mail goes
            yield login

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # Django's own send_mail logs a failure and carries on, which would end the
        # task as if the mail had gone.
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        message.send()
