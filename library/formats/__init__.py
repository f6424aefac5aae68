"""The library's one style for dates and times (FORMAT_MODULE_PATH in config/settings.py).

Django reads a locale's formats before the DATE_FORMAT settings, so the style
is set here, as a format module, where it wins over the locale's own. Every
template shows a date with `|date` (DATE_FORMAT) and a moment with
`|date:"DATETIME_FORMAT"`, in the library's time zone (TIME_ZONE, USE_TZ);
tests/library/test_date_style.py fails on a template with another style.
"""
