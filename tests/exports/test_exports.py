"""The export pipeline, pure: batches → DataFrames with declared dtypes → formula-safe CSV, JSON, NDJSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.records import CONVERSION_FIELDS, Cell, Metrics, ReportResult, ReportRow
from portal.exports.conversions import CONVERSION_COLUMNS, conversion_frame, conversion_frames
from portal.exports.names import export_filename, report_kind
from portal.exports.reports import REPORT_METRIC_COLUMNS, report_columns, report_frame
from portal.exports.tabular import (UTF8_BOM, RowCountMismatch, _safe_frame, csv_chunks, excel_friendly, expect_rows,
                                    export_chunks, json_chunks, ndjson_chunks)

AT = datetime(2026, 11, 21, 14, 30, 5, tzinfo=UTC)


def conversion(**values) -> tuple:
    """One export row as the backend yields it: a tuple in CONVERSION_FIELDS order."""
    row = {
        "conversion_id": "c0ffee", "transaction_id": "t123", "created_at": AT, "click_created_at": AT,
        "status": "approved", "payout_cents": 1250, "sale_amount_cents": 9999, "currency": "USD",
        "event_name": None, "sub1": "spring", "sub2": None, "sub3": None, "sub4": None, "sub5": None,
        "source_id": None, "order_id": "o-1", "coupon_code": None, "country": "US", "device": "mobile",
        "browser": "Chrome", "platform": "Android", "ip": "203.0.113.9", "offer_id": 7,
        "offer_name": "Acme Shoes", "offer_payout_type": "flat", "is_test": False, "hold_until": None,
    }
    unknown = set(values) - set(row)
    assert not unknown, unknown
    row.update(values)
    return tuple(row[name] for name in CONVERSION_FIELDS)


def csv_text(frames) -> str:
    return b"".join(csv_chunks(frames)).decode("utf-8")


def csv_rows(frames) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text(frames))))


def read_back(text: str, dtypes: dict[str, str]) -> pd.DataFrame:
    """pandas.read_csv with the declared dtypes; only an empty cell is missing (not "NA", "null", …)."""
    return pd.read_csv(io.StringIO(text), dtype=dtypes, keep_default_na=False, na_values=[""])


# --- formula safety --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell, written", [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("+41 22 555 0100", "'+41 22 555 0100"),
    ("-5", "'-5"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tcmd", "'\tcmd"),
    ("\r=cmd", "'\r=cmd"),
    ("\n=cmd", "'\n=cmd"),
    ("a=b", "a=b"),
    ("1-2", "1-2"),
    (" =1", " =1"),
    ("", ""),
    ("'quoted", "'quoted"),
])
def test_text_cells_that_spreadsheets_would_run_get_a_leading_quote(cell, written):
    frame = pd.DataFrame({"sub1": pd.array([cell, "plain"], dtype="string")})
    assert csv_rows([frame])[1:] == [[written], ["plain"]]


def test_headers_are_formula_safe_too():
    frame = pd.DataFrame({"=cmd()": ["x"], "@who": ["y"], "fine": ["z"]})
    assert csv_rows([frame])[0] == ["'=cmd()", "'@who", "fine"]


def test_numbers_are_untouched_even_when_negative():
    frame = pd.DataFrame({"cents": [-5, 7], "payout": [-1.5, 0.25],
                          "maybe": pd.array([-3, None], dtype="Int64"), "text": pd.array(["-3", "4"], dtype="string")})
    assert csv_rows([frame])[1:] == [["-5", "-1.5", "-3", "'-3"], ["7", "0.25", "", "4"]]


def test_an_object_column_mixing_types_prefixes_only_its_strings():
    frame = pd.DataFrame({"mixed": pd.Series(["=x", -5, None, 2.5], dtype=object)})
    assert csv_rows([frame])[1:] == [["'=x"], ["-5"], [""], ["2.5"]]


def test_cells_needing_quotes_are_quoted_and_a_lone_carriage_return_too():
    frame = pd.DataFrame({"a": ['say "hi"', "x,y", "two\nlines", "cr\rinside", "plain"], "b": [1, 2, 3, 4, 5]})
    text = csv_text([frame])
    assert '"say ""hi""",1\n' in text and '"x,y",2\n' in text and '"cr\rinside",4\n' in text
    assert read_back(text, {"a": "string"})["a"].tolist() == frame["a"].tolist()


def test_a_one_column_row_with_an_empty_cell_is_not_a_blank_line():
    frame = pd.DataFrame({"sub1": pd.array(["a", "", None], dtype="string")})
    assert csv_text([frame]) == '"sub1"\n"a"\n""\n""\n'
    assert len(pd.read_csv(io.StringIO(csv_text([frame])))) == 3


def test_the_csv_reads_back_as_what_pandas_to_csv_writes():
    frame = pd.DataFrame({
        "text": pd.array(["a", None, "=b", "ünïcode —", "x,y"], dtype="string"),
        "obj": pd.Series(["p", None, "q", "r", "s"], dtype=object),
        "n": [1, -2, 3, 4, 5], "f": [0.1, float("nan"), -2.5, 1e-7, 12345678.91],
        "i": pd.array([1, None, 3, None, 5], dtype="Int64"), "b": [True, False, True, False, True],
    })
    expected = io.StringIO()
    _safe_frame(frame).to_csv(expected, index=False, lineterminator="\n")
    expected.seek(0)
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(csv_text([frame]))), pd.read_csv(expected))
    assert csv_text([frame]).splitlines()[1:3] == ['"a","p",1,0.1,1,true', ',,-2,,,false']  # text quoted


def test_frames_with_dates_keep_pandas_formatting():
    """The staff keys export (timezone-aware UTC datetimes) still goes through pandas' own to_csv."""
    frame = pd.DataFrame({"label": ["=ci", "ok"],
                          "created_at": pd.to_datetime(["2026-01-02 03:04:05", None], utc=True)})
    assert csv_rows([frame])[1:] == [["'=ci", "2026-01-02 03:04:05+00:00"], ["ok", ""]]


def test_header_once_across_chunks_and_utf8():
    frames = [pd.DataFrame({"name": ["Zoë"]}), pd.DataFrame({"name": ["Åsa"]})]
    chunks = list(csv_chunks(frames))
    assert len(chunks) == 2
    assert b"".join(chunks) == '"name"\n"Zoë"\n"Åsa"\n'.encode("utf-8")


# --- conversions -----------------------------------------------------------------------------------------


def test_conversion_frames_have_the_declared_columns_and_dtypes():
    frames = list(conversion_frames([[conversion()], [conversion(click_created_at=None)]], "UTC"))
    for frame in frames:
        assert list(frame.columns) == list(CONVERSION_COLUMNS)
        assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == CONVERSION_COLUMNS


def test_no_rows_still_give_one_empty_frame_so_the_csv_has_its_header():
    frames = list(conversion_frames(iter([]), "UTC"))
    assert len(frames) == 1 and frames[0].empty
    assert {name: str(dtype) for name, dtype in frames[0].dtypes.items()} == CONVERSION_COLUMNS
    assert csv_text(frames) == ",".join(f'"{name}"' for name in CONVERSION_COLUMNS) + "\n"
    assert b"".join(json_chunks(conversion_frames([], "UTC"))) == b"[]"
    assert b"".join(ndjson_chunks(conversion_frames([], "UTC"))) == b""


def test_network_revenue_and_internal_fields_are_not_exported():
    assert not {"network_revenue", "network_revenue_cents", "revenue", "ip", "offer_payout_type"} & set(
        CONVERSION_COLUMNS)
    assert {"payout", "sale_amount", "offer_id", "offer_name", "status", "event_name", "sub1", "sub5", "source_id",
            "order_id", "coupon_code", "country", "device", "browser", "platform", "is_test", "hold_until",
            "transaction_id", "conversion_id"} <= set(CONVERSION_COLUMNS)


def test_money_is_in_major_units():
    frame = conversion_frame([conversion(payout_cents=1250, sale_amount_cents=-30)], "UTC")
    assert frame.loc[0, "payout"] == 12.5 and frame.loc[0, "sale_amount"] == -0.3
    row = dict(zip(csv_rows([frame])[0], csv_rows([frame])[1]))
    assert (row["payout"], row["sale_amount"]) == ("12.5", "-0.3")


@given(st.integers(min_value=-10**13, max_value=10**13))
def test_any_amount_of_cents_is_written_as_its_exact_decimal_and_reads_back_equal(cents):
    frame = conversion_frame([conversion(payout_cents=cents)], "UTC")
    row = dict(zip(*csv_rows([frame])))
    assert Decimal(row["payout"]) == Decimal(cents) / 100
    assert read_back(csv_text([frame]), {})["payout"].iloc[0] == frame["payout"].iloc[0]
    assert Decimal(str(json.loads(b"".join(json_chunks([frame])))[0]["payout"])) == Decimal(cents) / 100


@pytest.mark.parametrize("utc, timezone, local", [
    # New York: clocks go forward at 2026-03-08 07:00 UTC (02:00 EST becomes 03:00 EDT) …
    (datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC), "America/New_York", "2026-03-08 01:59:59"),
    (datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC), "America/New_York", "2026-03-08 03:00:00"),
    # … and back at 2026-11-01 06:00 UTC: 01:30 happens twice, an hour apart.
    (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "America/New_York", "2026-11-01 01:30:00"),
    (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/New_York", "2026-11-01 01:30:00"),
    (datetime(2026, 6, 30, 22, 15, tzinfo=UTC), "Europe/Berlin", "2026-07-01 00:15:00"),
    (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "Asia/Kolkata", "2026-01-01 05:30:00"),
    (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "UTC", "2026-01-01 00:00:00"),
])
def test_times_are_local_to_the_request_timezone_with_the_unix_timestamp_beside(utc, timezone, local):
    frame = conversion_frame([conversion(created_at=utc, click_created_at=utc - timedelta(minutes=2),
                                         hold_until=utc + timedelta(days=30))], timezone)
    assert frame.loc[0, "conversion_time"] == local
    assert frame.loc[0, "conversion_unix_timestamp"] == int(utc.timestamp())
    assert frame.loc[0, "click_unix_timestamp"] == int(utc.timestamp()) - 120
    assert frame.loc[0, "hold_until_unix_timestamp"] == int(utc.timestamp()) + 30 * 86400
    assert frame.loc[0, "hold_until"] == (utc + timedelta(days=30)).astimezone(ZoneInfo(timezone)).strftime(
        "%Y-%m-%d %H:%M:%S")


def test_the_two_new_york_half_past_ones_differ_only_in_their_timestamps():
    rows = [conversion(created_at=datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
            conversion(created_at=datetime(2026, 11, 1, 6, 30, tzinfo=UTC))]
    frame = conversion_frame(rows, "America/New_York")
    assert frame["conversion_time"].nunique() == 1
    assert frame["conversion_unix_timestamp"].diff().iloc[1] == 3600


def test_fractions_of_a_second_round_down_in_both_columns_and_naive_times_mean_utc():
    frame = conversion_frame([conversion(created_at=datetime(2026, 1, 1, 12, 0, 0, 999_999),
                                         click_created_at=None)], "UTC")
    assert frame.loc[0, "conversion_time"] == "2026-01-01 12:00:00"
    assert frame.loc[0, "conversion_unix_timestamp"] == int(datetime(2026, 1, 1, 12, tzinfo=UTC).timestamp())
    assert pd.isna(frame.loc[0, "click_time"]) and pd.isna(frame.loc[0, "click_unix_timestamp"])
    assert pd.isna(frame.loc[0, "hold_until"]) and pd.isna(frame.loc[0, "hold_until_unix_timestamp"])


def test_a_pandas_round_trip_of_the_csv_gives_back_the_same_rows():
    rows = [
        conversion(),
        conversion(conversion_id="c2", sub1="a,b", sub2='he said "hi"', sub3="line\nbreak", sub4="NA",
                   sub5="null", source_id="ünïcode — ok", coupon_code="00123", event_name="upsell",
                   click_created_at=None, hold_until=AT + timedelta(days=14), is_test=True, payout_cents=0,
                   sale_amount_cents=1),
        conversion(conversion_id="c3", sub1="cr\rinside", offer_name="Zoë's Café", payout_cents=-1999),
    ]
    frames = list(conversion_frames([rows[:2], rows[2:]], "Europe/Berlin"))
    original = pd.concat(frames, ignore_index=True)
    back = read_back(csv_text(frames), CONVERSION_COLUMNS)
    pd.testing.assert_frame_equal(back, original)


def test_json_is_an_array_of_records_and_ndjson_one_record_a_line():
    frames = list(conversion_frames([[conversion(conversion_id="a")], [],
                                     [conversion(conversion_id="b", sub1="=x", click_created_at=None)]], "UTC"))
    records = json.loads(b"".join(export_chunks(frames, "json")))
    assert [r["conversion_id"] for r in records] == ["a", "b"]
    assert records[1]["sub1"] == "=x"  # formula prefixes are a spreadsheet matter: JSON keeps the value
    assert records[1]["click_time"] is None and records[1]["click_unix_timestamp"] is None
    assert records[0]["conversion_time"] == "2026-11-21 14:30:05"
    assert records[0]["conversion_unix_timestamp"] == int(AT.timestamp())
    assert records[0]["payout"] == 12.5 and records[0]["is_test"] is False
    assert set(records[0]) == set(CONVERSION_COLUMNS)

    body = b"".join(export_chunks(frames, "ndjson"))
    assert body.endswith(b"\n") and not body.endswith(b"\n\n")
    lines = body.decode("utf-8").split("\n")[:-1]
    assert [json.loads(line) for line in lines] == records


def test_json_chunks_open_the_array_with_the_first_records():
    """So that a query failing before its first row fails before the first byte (an error status)."""
    chunks = list(json_chunks([pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2]})]))
    assert chunks == [b'[{"a":1}', b',{"a":2}', b"]"]


def test_unknown_export_format_is_refused():
    with pytest.raises(ValueError, match="xlsx"):
        export_chunks([], "xlsx")


def test_the_row_count_check_breaks_the_stream_when_rows_go_missing_or_appear():
    frames = [pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [3]})]
    assert sum(len(f) for f in expect_rows(iter(frames), 3)) == 3
    with pytest.raises(RowCountMismatch, match="2 rows; its query counted 3"):
        list(expect_rows(iter(frames[:1]), 3))
    with pytest.raises(RowCountMismatch, match="more than the 2 rows"):
        list(expect_rows(iter(frames), 2))


# --- reports ---------------------------------------------------------------------------------------------


def report_result() -> ReportResult:
    rows = [
        ReportRow((Cell("offer", "7", "=Acme", sort_key=7), Cell("date", "2026-03-29", "2026-03-29")),
                  Metrics(total_click=200, unique_click=150, cv=3, event=1, revenue_cents=4500,
                          on_hold_conversion_count=1, on_hold_potential_revenue_cents=1500)),
        ReportRow((Cell("offer", "9", "Beta, Inc.", sort_key=9), Cell("date", "2026-03-30", "2026-03-30")),
                  Metrics(total_click=0, cv=1, revenue_cents=333)),
    ]
    summary = sum((row.metrics for row in rows), Metrics())
    return ReportResult(columns=("offer", "date"), rows=rows, summary=summary, incomplete_results=False,
                        currency="EUR")


def test_report_frame_has_a_column_per_dimension_then_the_metrics_and_only_the_rows():
    frame = report_frame(report_result(), "Europe/Berlin")
    assert list(frame.columns) == ["offer_id", "offer", "date", "date_unix_timestamp", *REPORT_METRIC_COLUMNS]
    assert {n: str(t) for n, t in frame.dtypes.items()} == report_columns(("offer", "date"))
    assert len(frame) == 2  # no totals row
    first = frame.iloc[0]
    assert (first["offer_id"], first["offer"], first["clicks"], first["unique_clicks"]) == (7, "=Acme", 200, 150)
    assert (first["conversions"], first["events"], first["earnings"]) == (3, 1, 45.0)
    assert (first["cvr"], first["epc"]) == (1.5, 0.225)
    assert (first["on_hold_conversions"], first["on_hold_earnings"]) == (1, 15.0)
    assert (frame.iloc[1]["cvr"], frame.iloc[1]["epc"]) == (0.0, 0.0)  # no clicks: rates are 0, not a division error


def test_report_periods_carry_the_unix_time_of_their_local_start_across_dst():
    frame = report_frame(report_result(), "Europe/Berlin")
    # Berlin moves to summer time on 2026-03-29: that day starts at 23:00 UTC the day before, still in winter time.
    assert frame["date_unix_timestamp"].tolist() == [int(datetime(2026, 3, 28, 23, tzinfo=UTC).timestamp()),
                                                     int(datetime(2026, 3, 29, 22, tzinfo=UTC).timestamp())]


@pytest.mark.parametrize("column, label, start", [
    ("hour", "2026-11-01 01:00", datetime(2026, 11, 1, 5, tzinfo=UTC)),  # the first of New York's two 01:00s
    ("week", "2026-W45", datetime(2026, 11, 2, 5, tzinfo=UTC)),
    ("month", "2026-11", datetime(2026, 11, 1, 4, tzinfo=UTC)),
    ("year", "2026", datetime(2026, 1, 1, 5, tzinfo=UTC)),
])
def test_every_time_column_gets_its_period_start(column, label, start):
    result = ReportResult(columns=(column,), rows=[ReportRow((Cell(column, label, label),), Metrics(total_click=1))],
                          summary=Metrics(total_click=1), incomplete_results=False, currency="USD")
    frame = report_frame(result, "America/New_York")
    assert frame.loc[0, f"{column}_unix_timestamp"] == int(start.timestamp())


def test_report_csv_reads_back_as_the_same_rows():
    frame = report_frame(report_result(), "UTC")
    text = csv_text([frame])
    assert "'=Acme" in text and '"Beta, Inc."' in text
    back = read_back(text, report_columns(("offer", "date")))
    back["offer"] = back["offer"].str.removeprefix("'")
    pd.testing.assert_frame_equal(back, frame)


def test_an_empty_report_still_has_its_header():
    result = ReportResult(columns=("sub1",), rows=[], summary=Metrics(), incomplete_results=False, currency="USD")
    assert csv_text([report_frame(result, "UTC")]) == ",".join(f'"{c}"' for c in ["sub1", *REPORT_METRIC_COLUMNS]) + "\n"


# --- filenames -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_export_filenames_are_dated(fmt):
    assert export_filename("conversions", date(2026, 11, 1), date(2026, 11, 21), fmt) == \
        f"conversions_2026-11-01_2026-11-21.{fmt}"


@pytest.mark.parametrize("kind, fmt", [("conversions", "xlsx"), ("../etc", "csv"), ("Conversions", "csv"),
                                       ("conv ersions", "csv"), ("", "csv")])
def test_export_filenames_refuse_odd_kinds_and_formats(kind, fmt):
    with pytest.raises(ValueError):
        export_filename(kind, date(2026, 11, 1), date(2026, 11, 21), fmt)


@pytest.mark.parametrize(("columns", "kind"), [(("sub1",), "report_sub1"), (("date", "offer"), "report_date_offer"),
                                               (("source_id", "device_type"), "report_source_id_device_type")])
def test_a_report_file_names_its_grouping(columns, kind):
    assert report_kind(columns) == kind
    assert export_filename(kind, date(2026, 11, 4), date(2026, 12, 3), "csv") == f"{kind}_2026-11-04_2026-12-03.csv"


# --- Excel-friendly CSV --------------------------------------------------------------------------------------


def test_the_excel_friendly_csv_is_the_csv_after_a_utf8_byte_order_mark():
    frame = pd.DataFrame({"sub1": ["café", "=cmd", "😀"], "clicks": [1, 2, 3]})
    plain = b"".join(csv_chunks([frame, frame]))
    chunks = list(excel_friendly(csv_chunks([frame, frame])))
    assert UTF8_BOM == b"\xef\xbb\xbf" and chunks[0].startswith(UTF8_BOM)
    assert len(chunks) == 2  # the mark rides on the first chunk: reading it still reads the first rows
    assert b"".join(chunks) == UTF8_BOM + plain and not plain.startswith(UTF8_BOM)
    assert pd.read_csv(io.BytesIO(b"".join(chunks)), encoding="utf-8-sig")["sub1"].tolist() == ["café", "'=cmd", "😀"] * 2


def test_an_empty_excel_friendly_export_is_just_the_mark():
    assert b"".join(excel_friendly(iter(()))) == UTF8_BOM
