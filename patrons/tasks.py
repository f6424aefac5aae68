"""Work the portal hands to the worker, so a page's time does not tell what the work found."""

from celery import shared_task

from patrons.forms import PasswordResetMailForm, patron_login_tokens

EMAIL_TEMPLATE = "portal/password_reset_email.txt"
SUBJECT_TEMPLATE = "portal/password_reset_subject.txt"
MAIL_NOT_SENT = (
    "The password-reset mail was not sent ({kind}); the mail server's answer is "
    "withheld: it may quote the address."
)
# Retries wait 1, 2, 4 ... seconds, at most this long; the broker's visibility
# timeout (CELERY_VISIBILITY_TIMEOUT) must be longer, or a waiting retry runs twice.
MAIL_RETRY_MAX_DELAY = 600
MAIL_RETRIES = 10
# What the worker's log and monitoring show of a reset's arguments: never the address.
HIDDEN_ARGS = "()"
HIDDEN_KWARGS = "{'email': '***', 'domain': '***', 'use_https': '***'}"


class MailNotSent(Exception):
    """The mail server refused or could not be reached; its own words stay out of the logs."""


@shared_task(
    autoretry_for=(MailNotSent,),
    retry_backoff=True,
    retry_backoff_max=MAIL_RETRY_MAX_DELAY,
    retry_jitter=True,
    max_retries=MAIL_RETRIES,
)
def password_reset_mail(*, email: str, domain: str, use_https: bool) -> None:
    """Mail a reset link to each active login with this address, or to nobody if there is none."""
    form = PasswordResetMailForm({"email": email})
    if not form.is_valid():
        return
    try:
        form.save(
            domain_override=domain,
            use_https=use_https,
            token_generator=patron_login_tokens,
            subject_template_name=SUBJECT_TEMPLATE,
            email_template_name=EMAIL_TEMPLATE,
        )
    except OSError as error:  # smtplib's errors are OSErrors, as is a refused connection
        raise MailNotSent(MAIL_NOT_SENT.format(kind=type(error).__name__)) from None


def password_reset_mail_queue(*, email: str, domain: str, use_https: bool) -> None:
    """Queue one reset mail for this address, known or not, with the address kept out of logs."""
    password_reset_mail.apply_async(
        kwargs={"email": email, "domain": domain, "use_https": use_https},
        argsrepr=HIDDEN_ARGS,
        kwargsrepr=HIDDEN_KWARGS,
    )


def _mail_one(subject: str, body: str, address: str) -> None:
    """Send one plain mail; a mail server's refusal becomes MailNotSent, its words withheld."""
    from django.conf import settings
    from django.core.mail import send_mail

    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except OSError as error:  # smtplib's errors are OSErrors, as is a refused connection
        raise MailNotSent(MAIL_NOT_SENT.format(kind=type(error).__name__)) from None


ADDRESS_CHANGED_SUBJECT = "The email address on your library account was changed"
ADDRESS_CHANGED_BODY = (
    "The email address on your library account was changed at the library on {day}.\n"
    "From now on, messages and password-reset links go to the new address.\n\n"
    "If you did not ask for this, please contact the library at once."
)


@shared_task(
    autoretry_for=(MailNotSent,),
    retry_backoff=True,
    retry_backoff_max=MAIL_RETRY_MAX_DELAY,
    retry_jitter=True,
    max_retries=MAIL_RETRIES,
)
def address_changed_notice(*, old_email: str, day: str) -> None:
    """Tell the old address that the account's address changed; say nothing of the new one."""
    _mail_one(ADDRESS_CHANGED_SUBJECT, ADDRESS_CHANGED_BODY.format(day=day), old_email)


def address_changed_notice_queue(*, old_email: str, day: str) -> None:
    """Queue the notice to the old address, with the address kept out of logs."""
    address_changed_notice.apply_async(
        kwargs={"old_email": old_email, "day": day},
        argsrepr=HIDDEN_ARGS,
        kwargsrepr="{'old_email': '***', 'day': '***'}",
    )


INACTIVE_NOTICE_SUBJECT = "Your library account will be closed"
INACTIVE_NOTICE_BODY = (
    "Your library account has not been used for a long time. To protect your privacy, "
    "the library deletes accounts nobody uses.\n\n"
    "Unless you use your account before {day} (sign in to the online account, borrow, "
    "renew or reserve something, or renew your card at any library), it will be deleted "
    "on or after that day, and your online login with it. Using it once is enough to keep it."
)


@shared_task(
    autoretry_for=(MailNotSent,),
    retry_backoff=True,
    retry_backoff_max=MAIL_RETRY_MAX_DELAY,
    retry_jitter=True,
    max_retries=MAIL_RETRIES,
)
def inactive_account_notice(*, email: str, day: str) -> None:
    """Tell an account's address that the unused account is deleted from `day` on (CONF-3)."""
    _mail_one(INACTIVE_NOTICE_SUBJECT, INACTIVE_NOTICE_BODY.format(day=day), email)


def inactive_account_notice_queue(*, email: str, day: str) -> None:
    """Queue the notice of deletion, with the address kept out of logs."""
    inactive_account_notice.apply_async(
        kwargs={"email": email, "day": day},
        argsrepr=HIDDEN_ARGS,
        kwargsrepr="{'email': '***', 'day': '***'}",
    )
