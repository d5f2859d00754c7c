"""Pure parts of the dashboard: French formats, chart geometry, the period of the form (maps: test_maps.py)."""

from __future__ import annotations

from datetime import date

import pytest
from reporting import charts, display
from reporting.dashboard import MAX_MONTHS, PeriodError, month_starts, parse_period

TODAY = date(2026, 11, 23)


class TestDisplay:
    def test_numbers_read_the_french_way(self) -> None:
        assert display.number(12960.0) == "12\u202f960"
        assert display.number(13.886) == "13,9"
        assert display.number(-4320.0) == "−4\u202f320"
        assert display.number(-0.01) == "0"  # no « −0 »
        assert display.number(None) == "—"

    def test_trend_arrows_and_sentences(self) -> None:
        up = display.trend(12.5, 10.0)
        assert (up["arrow"], up["text"], up["direction"]) == ("▲", "+12,5\u202f%", "up")
        assert "en hausse de 12,5\u202f%" in up["sentence"]
        down = display.trend(-50.0, -3.0)
        assert (down["arrow"], down["text"]) == ("▼", "−50\u202f%") and "en baisse de 50\u202f%" in down["sentence"]
        assert display.trend(None, 5.0)["text"] == "nouveau"  # nothing to compare with: previous was 0
        assert display.trend(None, 0.0)["arrow"] == "="

    def test_dates_and_months(self) -> None:
        assert display.day(date(2025, 3, 12)) == "12/03/2025"
        assert display.long_day(date(2025, 1, 1)) == "1er janvier 2025"
        assert display.month(date(2025, 8, 1)) == "août 2025" and display.month(date(2025, 2, 1), short=True) == "févr."

    def test_csv_cells(self) -> None:
        assert display.csv_number(12960.0) == "12960"
        assert display.csv_number(13.88611) == "13,886"
        assert display.csv_number(-0.0001) == "0"
        assert display.csv_text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
        assert display.csv_text("Chutes de carton") == "Chutes de carton"


class TestPeriod:
    def test_this_calendar_year_by_default(self) -> None:
        period = parse_period(None, "", TODAY)
        assert (period.first, period.last) == (date(2026, 1, 1), TODAY)

    @pytest.mark.parametrize(
        ("first", "last", "field", "words"),
        [
            ("2025-13-01", "2025-12-31", "from", "illisible « 2025-13-01 »"),
            ("2025-01-01", "31/12/2025", "to", "Date de fin illisible"),
            ("2025-12-31", "2025-01-01", "from", "suit la date de fin"),
            ("2000-01-01", "2025-12-31", "to", "dépasse 10 ans"),
        ],
    )
    def test_refused_in_french(self, first: str, last: str, field: str, words: str) -> None:
        with pytest.raises(PeriodError) as refused:
            parse_period(first, last, TODAY)
        assert refused.value.field == field and words in refused.value.message

    def test_months_of_a_period(self) -> None:
        assert month_starts(date(2025, 11, 15), date(2026, 2, 1)) == [
            date(2025, 11, 1),
            date(2025, 12, 1),
            date(2026, 1, 1),
            date(2026, 2, 1),
        ]
        assert len(month_starts(date(2016, 1, 1), date(2025, 12, 31))) == MAX_MONTHS


class TestCharts:
    def test_horizontal_bars_scale_to_the_longest(self) -> None:
        chart = charts.hbars([("a", 4, "4", ""), ("b", 2, "2", "(50 %)"), ("c", 0, "0", "")], width=300, value_room=100)
        assert [bar.width for bar in chart.bars] == [200.0, 100.0, 0.0]
        assert chart.bars[1].bar_y > chart.bars[0].bar_y and chart.height > chart.bars[-1].bar_y

    def test_columns_with_round_ticks_and_negative_values(self) -> None:
        chart = charts.columns([("janv.", "janvier", 1080.0), ("févr.", "février", -200.0)], tick_text=display.number)
        assert chart.ticks[0].text == "−500" and chart.ticks[-1].text == "1\u202f500"
        positive, negative = chart.columns
        assert positive.y + positive.height == pytest.approx(chart.zero_y) and not positive.negative
        assert negative.y == pytest.approx(chart.zero_y) and negative.negative
        assert positive.height / negative.height == pytest.approx(1080 / 200)

    def test_nice_steps(self) -> None:
        assert charts.nice_step(1080) == 500 and charts.nice_step(1.3) == 0.5 and charts.nice_step(0) == 1.0


def test_a_period_of_a_year_at_most_is_compared_with_the_same_dates_a_year_earlier() -> None:
    """Issue 15: 1 January to 2 December 2026 was compared with « 30 janvier 2025 au 31 décembre 2025 »."""
    from datetime import date

    from reporting.report import Period

    this_year = Period(date(2026, 1, 1), date(2026, 12, 2)).previous()
    assert (this_year.first, this_year.last) == (date(2025, 1, 1), date(2025, 12, 2))
    leap = Period(date(2024, 2, 1), date(2024, 2, 29)).previous()
    assert (leap.first, leap.last) == (date(2023, 2, 1), date(2023, 2, 28))
    long = Period(date(2024, 1, 1), date(2025, 12, 31)).previous()  # two whole years: the two years before
    assert (long.first, long.last) == (date(2022, 1, 1), date(2023, 12, 31))
    odd = Period(date(2024, 1, 10), date(2025, 3, 5)).previous()  # neither: as many days just before
    assert odd.last == date(2024, 1, 9) and odd.end - odd.first == Period(
        date(2024, 1, 10), date(2025, 3, 5)
    ).end - date(2024, 1, 10)
