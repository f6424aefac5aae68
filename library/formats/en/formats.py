"""Date and time formats for English, the site's language: one style everywhere.

"Mar 5, 2026" and "Mar 5, 2026 14:05": the month is spelled, so the date reads
the same to anyone at the desk whatever order they write days and months in,
and the year is always there, since records span years. Times are 24-hour,
as the audit trail and the desk both compare times.
"""

DATE_FORMAT = "M j, Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "M j, Y H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "M j"
