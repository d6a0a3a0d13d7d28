"""Publication dates in every layout the portals print (portals.md, "Dates")."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.dates import VN_TZ, parse_vn_datetime, to_utc


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN_TZ)  # type: ignore[misc]


PARSED = [
    # the portals' own layouts
    ("Cập nhật ngày: 03/07/2020 17:45:55", vn(2020, 7, 3, 17, 45, 55)),
    ("Thứ Sáu, 29/08/2025, 09:51 (GMT+7)", vn(2025, 8, 29, 9, 51)),
    ("Chủ Nhật, 18/01/2026, 21:21 (GMT+7)", vn(2026, 1, 18, 21, 21)),
    ("17/01/2024 08:46    86", vn(2024, 1, 17, 8, 46)),
    ("03/04/2020 | 10:36 PM", vn(2020, 4, 3, 22, 36)),
    ("03/04/2020 | 10:36 AM", vn(2020, 4, 3, 10, 36)),
    ("03/04/2020 | 12:05 AM", vn(2020, 4, 3, 0, 5)),
    ("03/04/2020 | 12:05 PM", vn(2020, 4, 3, 12, 5)),
    ("09:19 04/01/2017", vn(2017, 1, 4, 9, 19)),
    ("Đăng ngày 17 - 05 - 2024", vn(2024, 5, 17)),
    ("Đăng ngày 17 - 05 - 2024    Lượt xem: 400", vn(2024, 5, 17)),
    ("08/07/2021 10:15", vn(2021, 7, 8, 10, 15)),
    # separators, single digits, ISO
    ("17-05-2024", vn(2024, 5, 17)),
    ("17.05.2024", vn(2024, 5, 17)),
    ("3/7/2020", vn(2020, 7, 3)),
    ("3/7/2020 8:05", vn(2020, 7, 3, 8, 5)),
    ("2024-01-17T08:46:00+07:00", vn(2024, 1, 17, 8, 46)),
    ("2024-01-17 08:46", vn(2024, 1, 17, 8, 46)),
    ("2024-01-17", vn(2024, 1, 17)),
    ("2024-01-17T08:46:00.123456+0700", vn(2024, 1, 17, 8, 46)),
    # explicit offsets are honoured and the result is VN wall time
    ("2024-01-17T01:46:00Z", vn(2024, 1, 17, 8, 46)),
    ("2024-01-17T00:00:00-05:00", vn(2024, 1, 17, 12, 0)),
    ("29/08/2025, 09:51 (GMT+0)", vn(2025, 8, 29, 16, 51)),
    ("29/08/2025 09:51 GMT+07:00", vn(2025, 8, 29, 9, 51)),
    ("29/08/2025 02:51 UTC", vn(2025, 8, 29, 9, 51)),
    # Vietnamese glue words, NBSP and entities between the parts
    ("Cập nhật lúc 10h30 ngày 05/06/2020", vn(2020, 6, 5, 10, 30)),
    ("05/06/2020 lúc 10:30", vn(2020, 6, 5, 10, 30)),
    ("17/01/2024&nbsp;08:46", vn(2024, 1, 17, 8, 46)),
    ("17/01/2024\u00a008:46", vn(2024, 1, 17, 8, 46)),
    # the first valid candidate wins; invalid ones are skipped
    ("31/02/2024 08:00, 01/03/2024 09:30", vn(2024, 3, 1, 9, 30)),
    ("03/07/2020 25:61, 04/07/2020 10:00", vn(2020, 7, 4, 10, 0)),
    ("01/01/1989 rồi 02/01/2020", vn(2020, 1, 2)),
    ("Sáng ngày 08/7, hội nghị ... Cập nhật ngày 09/07/2021", vn(2021, 7, 9)),
    ("Số 34/2007/PL-UBTVQH11 ngày 05/03/2021", vn(2021, 3, 5)),
    ("Chiều ngày 12/01/2023, Ban Thường vụ; đăng 17/01/2024", vn(2023, 1, 12)),
    ("01/01/1990", vn(1990, 1, 1)),
    ("31/12/2100", vn(2100, 12, 31)),
    ("29/02/2024", vn(2024, 2, 29)),
    # month names (Joomla, WordPress, official letters): a number or a word after "tháng"
    ("12 Tháng 3 2024", vn(2024, 3, 12)),
    ("ngày 5 tháng Ba năm 2024", vn(2024, 3, 5)),
    ("Thứ hai, 12 tháng 3, 2024", vn(2024, 3, 12)),
    ("Ngày đăng: Thứ Ba, 12 Tháng 3 2024 08:30", vn(2024, 3, 12, 8, 30)),
    ("17 Tháng Năm, 2024", vn(2024, 5, 17)),
    ("ngày 5 tháng Năm năm 2024", vn(2024, 5, 5)),
    ("Hà Nội, ngày 12 tháng 03 năm 2024", vn(2024, 3, 12)),
    ("04 THÁNG MƯỜI HAI 2023", vn(2023, 12, 4)),
    ("15 tháng Mười Một 2023 lúc 10h30", vn(2023, 11, 15, 10, 30)),
    ("ngày 10 tháng Mười năm 2023", vn(2023, 10, 10)),
    ("ngày 1 tháng Giêng năm 2024", vn(2024, 1, 1)),
    ("20 tháng Chạp 2023", vn(2023, 12, 20)),
    ("3 tháng Tư 2024 | 10:36 PM", vn(2024, 4, 3, 22, 36)),
    ("12 tháng 3, 2024, 02:51 (GMT+0)", vn(2024, 3, 12, 9, 51)),
    ("12 thang 3 2024", vn(2024, 3, 12)),
    ("12 tháng 3 2024, cập nhật 17/05/2024", vn(2024, 3, 12)),
    ("31 tháng 2 2024 rồi 01/03/2024", vn(2024, 3, 1)),
]

NOT_PARSED = [
    "",
    "Sáng ngày 08/7",
    "31/02/2024",
    "29/02/2023",
    "00/01/2024",
    "03/13/2020",
    "03/07/2020 25:61",
    "03/07/2020 23:60",
    "03/04/2020 | 13:36 PM",
    "31/12/1989",
    "01/01/2101",
    "17/01/24",
    "2024-13-01",
    "Quyết định số 01/2021/QĐ-UBND",
    "Điện thoại: 0299.3822339",
    "Lượt xem: 400",
    "17/01/2024 08:46 GMT+15",
    "ngày 5 tháng 3",
    "tháng 3 năm 2024",
    "31 tháng 2 năm 2024",
    "12 tháng 13 năm 2024",
    "12 tháng Mười Ba năm 2024",
    "12 tháng 3 năm 1989",
    # "8 tháng năm 2025" is news prose for "the 8 months of 2025", not 8 May
    "Theo Sở Công Thương, 8 tháng năm 2025, kim ngạch xuất khẩu rau quả ước đạt 310 triệu USD",
    "10 tháng năm 2023, kim ngạch xuất khẩu cá tra tăng",
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parses(text: str, expected: datetime) -> None:
    got = parse_vn_datetime(text)
    assert got == expected
    assert got is not None and got.tzinfo is VN_TZ
    assert (got.hour, got.minute, got.second) == (expected.hour, expected.minute, expected.second)


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parses_nfd_text(text: str, expected: datetime) -> None:
    assert parse_vn_datetime(unicodedata.normalize("NFD", text)) == expected


@pytest.mark.parametrize("text", NOT_PARSED)
def test_rejects(text: str) -> None:
    assert parse_vn_datetime(text) is None


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31, 23, 59, 59)))
def test_round_trips_every_layout(moment: datetime) -> None:
    expected = moment.replace(microsecond=0, tzinfo=VN_TZ)
    d, t = moment.strftime("%d/%m/%Y"), moment.strftime("%H:%M:%S")
    month_named = f"ngày {moment.day} tháng {moment.month} năm {moment.year} {t}"
    for text in (f"Cập nhật ngày: {d} {t}", f"{t} {d}", f"{moment:%Y-%m-%d}T{t}+07:00", month_named):
        assert parse_vn_datetime(text) == expected


@given(st.text())
def test_never_raises(text: str) -> None:
    found = parse_vn_datetime(text)
    assert found is None or (found.tzinfo is VN_TZ and 1990 <= found.year <= 2100)


def test_to_utc() -> None:
    assert to_utc(vn(2024, 1, 17, 8, 46)) == datetime(2024, 1, 17, 1, 46, tzinfo=UTC)
    assert to_utc(vn(2024, 1, 17, 8, 46)).utcoffset() == timedelta(0)


def test_to_utc_rejects_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_utc(datetime(2024, 1, 17, 8, 46))
