"""Mail and cache from the environment: EMAIL_URL or the EMAIL_* set, CACHE_URL."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import parse_cache_url, parse_email_url
from tests.config.test_settings import PRODUCTION_ENV, _manage

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_an_smtp_url_with_starttls():
    assert parse_email_url("EMAIL_URL", "smtp://lib%40x.org:p%2Fss@mail.x.org:587?tls=1") == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.x.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "lib@x.org",
        "EMAIL_HOST_PASSWORD": "p/ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }


def test_smtps_is_tls_from_the_start_on_465_and_a_timeout_is_read():
    settings = parse_email_url("EMAIL_URL", "smtps://mail.x.org?timeout=10")
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_SSL"], settings["EMAIL_TIMEOUT"]) == (
        465,
        True,
        10,
    )


def test_plain_smtp_defaults_to_localhost_25():
    settings = parse_email_url("EMAIL_URL", "smtp://")
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("localhost", 25)


@pytest.mark.parametrize(
    "url",
    ["http://mail.x.org", "smtp://mail.x.org?tls=1&ssl=1", "smtp://h:port", "smtp://h?tls=maybe"],
)
def test_a_mail_url_that_cannot_be_read_stops_start_up(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        parse_email_url("EMAIL_URL", url)


def test_console_and_file_urls_name_their_backends():
    assert parse_email_url("EMAIL_URL", "console://")["EMAIL_BACKEND"].endswith(
        "console.EmailBackend"
    )
    file_settings = parse_email_url("EMAIL_URL", "file:///var/mail/out")
    assert file_settings["EMAIL_FILE_PATH"] == "/var/mail/out"


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("redis://:pw@redis:6379/1", "django.core.cache.backends.redis.RedisCache"),
        ("rediss://redis:6380/0", "django.core.cache.backends.redis.RedisCache"),
        ("", "django.core.cache.backends.locmem.LocMemCache"),
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache"),
        ("dummy://", "django.core.cache.backends.dummy.DummyCache"),
    ],
)
def test_cache_urls(url, backend):
    cache = parse_cache_url("CACHE_URL", url)
    assert cache["BACKEND"] == backend
    if url.startswith("redis"):
        assert cache["LOCATION"] == url


def test_an_unknown_cache_url_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        parse_cache_url("CACHE_URL", "memcached://x:11211")


_SHOW = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, "
    "s.CACHES['default']['BACKEND'])"
)


def _production(**environment):
    base = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_BACKEND"}
    return _manage("shell", "-v", "0", "-c", _SHOW, extra_env={**base, **environment})


def test_production_starts_with_an_smtp_url_and_a_redis_cache():
    result = _production(
        EMAIL_URL="smtp://u:secret@mail.example.org:587?tls=1", CACHE_URL="redis://r:6379/1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        SMTP,
        "mail.example.org",
        "587",
        "True",
        "django.core.cache.backends.redis.RedisCache",
    ]


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"EMAIL_URL": "console://"}, "must name a backend that sends mail"),
        ({"EMAIL_URL": "file:///tmp/mail"}, "must name a backend that sends mail"),
        ({"EMAIL_URL": "smtp://u:secret@mail.example.org:25"}, "unencrypted"),
        ({"EMAIL_URL": "smtp://mail.example.org", "EMAIL_BACKEND": SMTP}, "not both"),
    ],
    ids=["console", "file", "password-in-clear", "both"],
)
def test_production_refuses_mail_that_is_not_sent_or_not_safe(environment, message):
    result = _production(**environment)
    assert result.returncode != 0
    assert message in result.stderr
