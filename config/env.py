"""Typed readers for settings taken from environment variables; a bad value stops start-up."""

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [part.strip() for part in raw.split(",") if part.strip()]


_MAIL_SCHEMES = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}


def parse_email_url(name: str, raw: str) -> dict[str, object]:
    """Read a mail URL into Django's EMAIL_* settings.

    smtp://user:password@host:587?tls=1 (STARTTLS), smtps://user:password@host:465
    (TLS from the start, as ?ssl=1), console://, file:///path. The user name
    and password are percent-decoded; ?timeout=SECONDS sets EMAIL_TIMEOUT.
    """
    url = urlsplit(raw)
    if url.scheme not in _MAIL_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must start with {', '.join(s + '://' for s in _MAIL_SCHEMES)}"
        )
    query = parse_qs(url.query)

    def flag(key: str) -> bool:
        value = query.get(key, [""])[-1].strip().lower()
        if value in _TRUE | _FALSE:
            return value in _TRUE
        raise ImproperlyConfigured(f"{name}: {key} must be true or false")

    settings: dict[str, object] = {"EMAIL_BACKEND": _MAIL_SCHEMES[url.scheme]}
    if url.scheme == "file":
        settings["EMAIL_FILE_PATH"] = unquote(url.path)
        return settings
    if url.scheme == "console":
        return settings
    try:
        port = url.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number") from None
    use_ssl = url.scheme == "smtps" or flag("ssl")
    use_tls = flag("tls")
    if use_ssl and use_tls:
        raise ImproperlyConfigured(f"{name}: choose tls (STARTTLS) or ssl, not both")
    settings.update(
        EMAIL_HOST=url.hostname or "localhost",
        EMAIL_PORT=port or (465 if use_ssl else 587 if use_tls else 25),
        EMAIL_HOST_USER=unquote(url.username or ""),
        EMAIL_HOST_PASSWORD=unquote(url.password or ""),
        EMAIL_USE_TLS=use_tls,
        EMAIL_USE_SSL=use_ssl,
    )
    if "timeout" in query:
        try:
            settings["EMAIL_TIMEOUT"] = int(query["timeout"][-1])
        except ValueError:
            raise ImproperlyConfigured(f"{name}: timeout must be a whole number") from None
    return settings


_CACHE_SCHEMES = {"redis", "rediss", "locmem", "dummy"}


def parse_cache_url(name: str, raw: str) -> dict[str, object]:
    """Read a cache URL into a CACHES entry: redis://[:password@]host:6379/1 (or rediss://)
    for Django's RedisCache, locmem:// (or empty) for local memory, dummy:// for none."""
    scheme = urlsplit(raw).scheme if raw else "locmem"
    if scheme not in _CACHE_SCHEMES:
        raise ImproperlyConfigured(f"{name} must be redis://, rediss://, locmem:// or dummy://")
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw}
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
