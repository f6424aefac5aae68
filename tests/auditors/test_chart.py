"""The reads-per-day chart's layout: round axis steps, one solid and one hatched bar a day."""

import datetime

import pytest

from auditors.chart import HEIGHT, reads_chart
from auditors.selectors import DayCount

DAY = datetime.date(2026, 3, 1)


def days(*counts):
    return [
        DayCount(DAY + datetime.timedelta(days=n), allowed, refused)
        for n, (allowed, refused) in enumerate(counts)
    ]


@pytest.mark.parametrize(
    ("highest", "top"), [(0, 4), (3, 4), (12, 20), (40, 40), (1234, 2000), (9000, 20000)]
)
def test_the_value_axis_rises_in_round_steps_to_cover_the_highest_bar(highest, top):
    chart = reads_chart(days((highest, 0)))
    assert chart.y_ticks[-1].label == str(top)


def test_each_day_has_an_allowed_and_a_refused_bar_labelled_with_its_count():
    chart = reads_chart(days((4, 1), (0, 2)))
    assert [(bar.kind, bar.label) for bar in chart.bars] == [
        ("allowed", "Mar 1, 2026: 4 allowed"),
        ("refused", "Mar 1, 2026: 1 refused"),
        ("allowed", "Mar 2, 2026: 0 allowed"),
        ("refused", "Mar 2, 2026: 2 refused"),
    ]
    allowed, refused = chart.bars[0], chart.bars[1]
    assert allowed.height == 4 * refused.height
    assert allowed.y + allowed.height == chart.bottom == HEIGHT - 28


def test_the_description_sums_up_the_period():
    chart = reads_chart(days((4, 1), (0, 2)))
    assert chart.description == (
        "Reads of patron data per day from Mar 1, 2026 to Mar 2, 2026: 4 allowed and 3 refused "
        "in all. The busiest day was Mar 1, 2026, with 4 allowed and 1 refused."
    )


def test_a_quiet_period_still_draws_an_axis_and_says_there_were_no_reads():
    chart = reads_chart(days((0, 0), (0, 0)))
    assert [tick.label for tick in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    assert chart.description.endswith("0 allowed and 0 refused in all.")


def test_a_long_period_labels_only_some_days():
    chart = reads_chart(days(*[(1, 0)] * 366))
    assert 6 <= len(chart.x_ticks) <= 8 and chart.x_ticks[0].label == "Mar 1"
