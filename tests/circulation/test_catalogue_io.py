"""Importing and exporting the catalogue (issue 17): round trips, bad records, re-runs."""

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pymarc
import pytest
from django.core.management import CommandError, call_command

from circulation import catalogue_io
from circulation.models import BibliographicRecord, Item, ItemType
from tests.factories import BibliographicRecordFactory, BranchFactory, ItemFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(catalogue_io.CSV_HEADER)


def _run(command: str, *arguments: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _catalogue() -> list[tuple[object, ...]]:
    """Return the catalogue as comparable rows: every record with its copies' fields."""
    return sorted(
        (
            record.title,
            record.authors,
            record.isbn,
            record.issn,
            record.publisher,
            record.publication_year,
            tuple(
                (
                    item.barcode,
                    item.call_number,
                    item.shelving_location,
                    item.item_type,
                    item.branch.code,
                    item.current_branch.code,
                    item.replacement_cost,
                )
                for item in record.items.select_related("branch", "current_branch").order_by(
                    "barcode"
                )
            ),
        )
        for record in BibliographicRecord.objects.all()
    )


def _empty_catalogue() -> None:
    Item.objects.all().delete()
    BibliographicRecord.objects.all().delete()


@pytest.fixture
def catalogue(db: None) -> None:
    central, east = BranchFactory(code="CEN"), BranchFactory(code="EAST")
    hobbit = BibliographicRecordFactory(
        title="The Hobbit : or there and back again",
        authors="Tolkien, J. R. R.",
        isbn="9780261102217",
        publisher="Allen & Unwin",
        publication_year=1937,
    )
    ItemFactory(record=hobbit, barcode="31000001", branch=central, shelving_location="Adult")
    ItemFactory(
        record=hobbit,
        barcode="31000002",
        branch=east,
        item_type=ItemType.AUDIOBOOK,
        replacement_cost=Decimal("24.99"),
        call_number="823.912 TOL",
    )
    journal = BibliographicRecordFactory(
        title="Library Journal", authors="", issn="0363-0277", publisher="Media Source"
    )
    ItemFactory(record=journal, barcode="31000003", branch=central, item_type=ItemType.MAGAZINE)
    # Several authors, no ISBN, no copies.
    BibliographicRecordFactory(
        title="Good Omens", authors="Pratchett, Terry; Gaiman, Neil", publication_year=1990
    )


@pytest.mark.parametrize("name", ["export.csv", "export.mrc", "export.xml"])
def test_export_then_import_into_an_empty_catalogue_gives_the_same_records(
    catalogue, tmp_path, name
):
    before = _catalogue()
    path = str(tmp_path / name)
    out, _ = _run("export_catalogue", path)
    assert out.strip() == f"exported 3 records, 3 copies to {path}"
    _empty_catalogue()

    out, err = _run("import_catalogue", path)

    assert err == ""
    assert out.strip() == "imported 3 records, 3 copies; skipped 0 duplicates; 0 bad records"
    assert _catalogue() == before


def test_the_csv_export_has_the_documented_header_and_one_row_per_copy(catalogue, tmp_path):
    path = tmp_path / "export.csv"
    _run("export_catalogue", str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == catalogue_io.CSV_HEADER
    hobbit = [row for row in rows if row["isbn"] == "9780261102217"]
    assert [row["barcode"] for row in hobbit] == ["31000001", "31000002"]
    assert hobbit[1]["replacement_cost"] == "24.99"
    assert hobbit[1]["branch"] == "EAST"
    assert [row["barcode"] for row in rows if row["title"] == "Good Omens"] == [""]


def test_the_export_holds_no_circulation_status_and_leaves_withdrawn_copies_out(
    catalogue, tmp_path
):
    ItemFactory(barcode="31000009", withdrawn=True)
    path = tmp_path / "export.csv"
    _run("export_catalogue", str(path))
    text = path.read_text(encoding="utf-8")
    assert "31000009" not in text
    assert "status" not in text and "on_shelf" not in text


def test_a_file_with_good_and_bad_records_imports_the_good_ones_and_reports_each_bad_one(
    tmp_path,
):
    BranchFactory(code="CEN")
    ItemFactory(barcode="TAKEN-1", record__title="Another title")
    path = tmp_path / "mixed.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                'Dune,"Herbert, Frank",9780441013593,,Ace,1965,B1,813 HER,Adult,book,CEN,9.99',
                ",Nobody,,,,,B2,,,book,CEN,",
                "Bad Isbn,,9780441013594,,,,B3,,,book,CEN,",
                "Far Away,,,,,,B4,,,book,NOWHERE,",
                "Taken,,,,,,TAKEN-1,,,book,CEN,",
                "Odd Type,,,,,,B5,,,scroll,CEN,",
                'Dune,"Herbert, Frank",0441013597,,Ace,1965,B6,813 HER,Adult,book,CEN,',
                "Old,,,,,1965 AD,B7,,,book,CEN,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    out, err = _run("import_catalogue", str(path))

    assert err.splitlines() == [
        "line 3: " + catalogue_io.MISSING_TITLE,
        "line 4: " + catalogue_io.BAD_ISBN.format(value="9780441013594"),
        "line 5: " + catalogue_io.UNKNOWN_BRANCH.format(value="NOWHERE"),
        "line 6: " + catalogue_io.DUPLICATE_BARCODE.format(value="TAKEN-1"),
        "line 7: "
        + catalogue_io.UNKNOWN_ITEM_TYPE.format(
            value="scroll", choices=", ".join(catalogue_io.ITEM_TYPES)
        ),
        "line 9: " + catalogue_io.BAD_YEAR.format(value="1965 AD"),
    ]
    assert out.strip() == "imported 1 records, 2 copies; skipped 0 duplicates; 6 bad records"
    # The ISBN-10 on line 8 is the same title: both copies went to one record.
    dune = BibliographicRecord.objects.get(isbn="9780441013593")
    assert sorted(dune.items.values_list("barcode", flat=True)) == ["B1", "B6"]
    assert dune.items.get(barcode="B1").replacement_cost == Decimal("9.99")
    assert not BibliographicRecord.objects.filter(title__in=["Far Away", "Odd Type", "Old"])
    assert Item.objects.count() == 3


def test_a_bad_copy_leaves_nothing_of_its_record(tmp_path):
    BranchFactory(code="CEN")
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "\nNew Title,,,,,,B1,,,book,NOWHERE,\n", encoding="utf-8")
    _run("import_catalogue", str(path))
    assert not BibliographicRecord.objects.filter(title="New Title").exists()


def test_a_bad_marc_record_is_reported_by_its_number(catalogue, tmp_path):
    path = tmp_path / "export.mrc"
    _run("export_catalogue", str(path))
    _empty_catalogue()
    BranchFactory(code="EAST").delete()

    out, err = _run("import_catalogue", str(path))

    # Records are exported by id: the Hobbit is the first, with a copy at EAST.
    assert err.splitlines() == ["record 1: " + catalogue_io.UNKNOWN_BRANCH.format(value="EAST")]
    assert out.strip() == "imported 2 records, 1 copies; skipped 0 duplicates; 1 bad records"


@pytest.mark.parametrize("name", ["export.csv", "export.mrc", "export.xml"])
def test_running_the_same_file_again_imports_nothing(catalogue, tmp_path, name):
    path = str(tmp_path / name)
    _run("export_catalogue", path)
    before = _catalogue()

    out, err = _run("import_catalogue", path)

    assert err == ""
    assert out.strip() == "imported 0 records, 0 copies; skipped 4 duplicates; 0 bad records"
    assert _catalogue() == before


def test_a_dry_run_reports_and_stores_nothing(tmp_path):
    BranchFactory(code="CEN")
    path = tmp_path / "one.csv"
    path.write_text(
        HEADER + "\nNew Title,,,,,,B1,,,book,CEN,\n,,,,,,B2,,,book,CEN,\n", encoding="utf-8"
    )
    out, err = _run("import_catalogue", str(path), "--dry-run")
    assert err.strip() == "line 3: " + catalogue_io.MISSING_TITLE
    assert out.strip().startswith("imported 1 records, 1 copies; skipped 0 duplicates; 1 bad")
    assert not BibliographicRecord.objects.exists()


def test_a_missing_file_is_refused_in_one_line(tmp_path):
    path = str(tmp_path / "nothing.csv")
    with pytest.raises(CommandError) as error:
        call_command("import_catalogue", path)
    assert str(error.value) == catalogue_io.FILE_MISSING.format(path=path)


def test_a_file_whose_format_cannot_be_told_is_refused_in_one_line(tmp_path):
    path = tmp_path / "records.dat"
    path.write_text("something\n")
    with pytest.raises(CommandError) as error:
        call_command("import_catalogue", str(path))
    assert str(error.value) == catalogue_io.FORMAT_UNKNOWN.format(path=path)


@pytest.mark.parametrize(
    ("fmt", "content", "start"),
    [
        ("csv", "name,colour\nx,y\n", "The CSV header lacks"),
        ("marc", "not a marc file at all\n", "is not a MARC 21 file"),
        ("marcxml", "<collection><record>", "is not MARCXML"),
    ],
)
def test_a_file_not_in_its_format_is_refused_in_one_line(tmp_path, fmt, content, start):
    path = tmp_path / "file"
    path.write_text(content)
    with pytest.raises(CommandError) as error:
        call_command("import_catalogue", str(path), "--format", fmt)
    assert start in str(error.value) and "\n" not in str(error.value)
    assert not BibliographicRecord.objects.exists()


def test_export_will_not_overwrite_a_file_unless_told(catalogue, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("keep me")
    with pytest.raises(CommandError) as error:
        call_command("export_catalogue", str(path))
    assert str(error.value) == catalogue_io.FILE_EXISTS.format(path=path)
    assert path.read_text() == "keep me"
    _run("export_catalogue", str(path), "--overwrite")
    assert path.read_text(encoding="utf-8").startswith(",".join(catalogue_io.CSV_HEADER))


def test_marc_fields_map_to_the_record_and_its_copies():
    record = pymarc.Record()
    record.add_field(
        pymarc.Field(
            tag="020",
            indicators=pymarc.Indicators(" ", " "),
            subfields=[pymarc.Subfield("a", "0261102214 (pbk.)")],
        ),
        pymarc.Field(
            tag="100",
            indicators=pymarc.Indicators("1", " "),
            subfields=[
                pymarc.Subfield("a", "Tolkien, J. R. R.,"),
                pymarc.Subfield("d", "1892-1973."),
            ],
        ),
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("1", "4"),
            subfields=[
                pymarc.Subfield("a", "The hobbit :"),
                pymarc.Subfield("b", "or there and back again /"),
                pymarc.Subfield("c", "J.R.R. Tolkien."),
            ],
        ),
        pymarc.Field(
            tag="260",
            indicators=pymarc.Indicators(" ", " "),
            subfields=[
                pymarc.Subfield("a", "London :"),
                pymarc.Subfield("b", "Allen & Unwin,"),
                pymarc.Subfield("c", "c1937."),
            ],
        ),
        pymarc.Field(
            tag="952",
            indicators=pymarc.Indicators(" ", " "),
            subfields=[
                pymarc.Subfield("a", "CEN"),
                pymarc.Subfield("p", "3100"),
                pymarc.Subfield("o", "823 TOL"),
                pymarc.Subfield("y", "BOOK"),
                pymarc.Subfield("v", "12.50"),
                pymarc.Subfield("c", "Adult"),
            ],
        ),
    )

    incoming = catalogue_io.from_marc(record, "record 1")

    assert incoming.title == "The hobbit : or there and back again"
    assert incoming.authors == "Tolkien, J. R. R."
    assert incoming.isbn == "0261102214"
    assert (incoming.publisher, incoming.publication_year) == ("Allen & Unwin", "1937")
    assert incoming.copies == [
        catalogue_io.IncomingCopy(
            barcode="3100",
            call_number="823 TOL",
            shelving_location="Adult",
            item_type="BOOK",
            branch="CEN",
            replacement_cost="12.50",
        )
    ]


def test_the_commands_help_describes_every_argument():
    from django.core.management import load_command_class

    for name in ("import_catalogue", "export_catalogue"):
        parser = load_command_class("circulation", name).create_parser("manage.py", name)
        ours = [
            action
            for action in parser._actions
            if action.dest in {"path", "format", "dry_run", "overwrite"}
        ]
        assert ours and all(action.help for action in ours)


def test_docs_describe_the_header(db):
    text = (Path(__file__).resolve().parents[2] / "docs" / "catalogue.md").read_text()
    assert ",".join(catalogue_io.CSV_HEADER) in text


def test_export_reads_in_chunks_not_per_record(catalogue, tmp_path, django_assert_max_num_queries):
    for number in range(30):
        record = BibliographicRecordFactory(title=f"Title {number}")
        ItemFactory(record=record, barcode=f"4100{number:04d}")
    # A count for the progress bar, then the records and their copies per chunk.
    with django_assert_max_num_queries(4):
        _run("export_catalogue", str(tmp_path / "export.mrc"))


# Hostile or broken input: every problem is a line about one record, or one line
# about the file, never a traceback.


def _import_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> tuple[str, str]:
    path = tmp_path / "in.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return _run("import_catalogue", str(path))


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (
            "Costly,,,,,,B1,,,book,CEN,99999999999999999999999999999.99",
            catalogue_io.BAD_COST.format(value="99999999999999999999999999999.99"),
        ),
        ("Costly,,,,,,B1,,,book,CEN,1e999999", catalogue_io.BAD_COST.format(value="1e999999")),
        ("Costly,,,,,,B1,,,book,CEN,NaN", catalogue_io.BAD_COST.format(value="NaN")),
        ("Costly,,,,,,B1,,,book,CEN,1.5e2", catalogue_io.BAD_COST.format(value="1.5e2")),
        ("Super,,,,,²,B1,,,book,CEN,", catalogue_io.BAD_YEAR.format(value="²")),
        ("Arabic,,,,,١٩٦٥,B1,,,book,CEN,", catalogue_io.BAD_YEAR.format(value="١٩٦٥")),
        ("Long,,,,," + "9" * 5000 + ",B1,,,book,CEN,", None),
        ("Nul\x00l,,,,,,B1,,,book,CEN,", catalogue_io.CONTROL_CHARACTER.format(name="title")),
        ("Bell,,,,,,B\x07,,,book,CEN,", catalogue_io.CONTROL_CHARACTER.format(name="barcode")),
        ("Tab,,,,,,B1,8\t23,,book,CEN,", catalogue_io.CONTROL_CHARACTER.format(name="call number")),
        ('"Two\nlines",,,,,,B1,,,book,CEN,', catalogue_io.LINE_BREAK.format(name="title")),
        ("Wide,,,,,,B1,,,book,CEN,,extra", catalogue_io.EXTRA_CELLS.format(found=13, expected=12)),
    ],
)
def test_a_hostile_value_is_one_bad_record_and_the_rest_is_imported(tmp_path, cells, reason):
    BranchFactory(code="CEN")
    out, err = _import_csv(tmp_path, cells, "Fine,,,,,2001,B9,,,book,CEN,5.00")
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("line 2: ")
    if reason is None:
        reason = catalogue_io.BAD_YEAR.format(value="9" * 5000)
    assert lines[0] == "line 2: " + reason
    assert out.strip() == "imported 1 records, 1 copies; skipped 0 duplicates; 1 bad records"
    assert list(BibliographicRecord.objects.values_list("title", flat=True)) == ["Fine"]


def test_an_unterminated_quote_is_a_bad_record_not_a_giant_title(tmp_path):
    BranchFactory(code="CEN")
    _out, err = _import_csv(
        tmp_path,
        '"Open quote,,,,,,B1,,,book,CEN,',
        "Second,,,,,,B2,,,book,CEN,",
        "Third,,,,,,B3,,,book,CEN,",
    )
    assert err.splitlines() == ["line 2: " + catalogue_io.LINE_BREAK.format(name="title")]
    assert not BibliographicRecord.objects.exists()


def test_a_csv_header_that_repeats_a_column_is_refused_in_one_line(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(HEADER + ",title\nA,,,,,,B1,,,book,CEN,,B\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_catalogue", str(path))
    assert str(error.value) == catalogue_io.CSV_COLUMNS_REPEATED.format(columns="title")
    assert not BibliographicRecord.objects.exists()


def test_an_unexpected_value_error_is_a_bad_record_with_a_plain_reason(tmp_path, monkeypatch):
    BranchFactory(code="CEN")

    def broken(text: str) -> str:
        raise ValueError("deep inside a library")

    monkeypatch.setattr(catalogue_io, "normalise_isbn", broken)
    out, err = _import_csv(tmp_path, "A,,0441013597,,,,B1,,,book,CEN,", "B,,,,,,B2,,,book,CEN,")
    assert err.splitlines() == [
        "line 2: " + catalogue_io.UNREADABLE_VALUE.format(error="ValueError")
    ]
    assert "imported 1 records" in out


def test_a_programming_error_is_not_hidden_as_a_bad_record(tmp_path, monkeypatch):
    BranchFactory(code="CEN")

    def broken(text: str) -> str:
        raise TypeError("a bug")

    monkeypatch.setattr(catalogue_io, "normalise_isbn", broken)
    with pytest.raises(TypeError):
        _import_csv(tmp_path, "A,,0441013597,,,,B1,,,book,CEN,")


def _marc(title: str) -> bytes:
    record = pymarc.Record(force_utf8=True, leader="     nam a22     1i 4500")
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("0", "0"),
            subfields=[pymarc.Subfield(code="a", value=title)],
        )
    )
    return record.as_marc()


@pytest.mark.parametrize("length", [b"00000", b"-0100", b"00003"])
def test_a_marc_record_with_an_impossible_length_stops_the_read_in_one_line(tmp_path, length):
    bad = _marc("Broken")
    path = tmp_path / "in.mrc"
    path.write_bytes(_marc("First") + length + bad[5:] + _marc("Lost"))

    out, err = _run("import_catalogue", str(path))

    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("record 2: unreadable MARC record")
    assert list(BibliographicRecord.objects.values_list("title", flat=True)) == ["First"]
    assert "1 bad records" in out


def test_a_first_marc_record_with_an_impossible_length_refuses_the_file(tmp_path):
    path = tmp_path / "in.mrc"
    path.write_bytes(b"00000" + _marc("Broken")[5:])
    with pytest.raises(CommandError) as error:
        call_command("import_catalogue", str(path))
    assert "is not a MARC 21 file" in str(error.value) and "\n" not in str(error.value)


def test_a_control_character_in_a_marc_field_is_a_bad_record(tmp_path):
    path = tmp_path / "in.mrc"
    path.write_bytes(_marc("Nul\x00here") + _marc("Fine"))
    _out, err = _run("import_catalogue", str(path))
    assert err.splitlines() == ["record 1: " + catalogue_io.CONTROL_CHARACTER.format(name="title")]
    assert list(BibliographicRecord.objects.values_list("title", flat=True)) == ["Fine"]


@pytest.mark.parametrize("name", ["export.xml", "export.mrc"])
def test_the_export_never_writes_what_xml_or_marc_cannot_hold(tmp_path, name):
    central = BranchFactory(code="CEN")
    record = BibliographicRecordFactory(title="Bell\x07 and\x1f unit", authors="Ann\x0bOther")
    ItemFactory(record=record, barcode="B1", branch=central)
    path = tmp_path / name
    _run("export_catalogue", str(path))
    if name.endswith(".xml"):
        ET.parse(path)  # noqa: S314 - well-formed: no exception
    _empty_catalogue()
    _out, err = _run("import_catalogue", str(path))
    assert err == ""
    assert BibliographicRecord.objects.get().title == "Bell\ufffd and\ufffd unit"


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted_and_come_back_exact(tmp_path):
    central = BranchFactory(code="CEN")
    titles = ["=1+1", "-3 ways", "+plus", "@home", "'=already quoted", "'plain quote", "Plain"]
    for number, title in enumerate(titles):
        record = BibliographicRecordFactory(title=title, authors="=HYPERLINK(x)")
        ItemFactory(record=record, barcode=f"{number}-31", branch=central, call_number="-12")
    before = _catalogue()
    path = tmp_path / "export.csv"
    _run("export_catalogue", str(path))

    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    cells = {row["title"]: row for row in rows}
    assert set(cells) == {
        "'=1+1",
        "'-3 ways",
        "'+plus",
        "'@home",
        "''=already quoted",
        "'plain quote",
        "Plain",
    }
    assert {row["authors"] for row in rows} == {"'=HYPERLINK(x)"}
    assert {row["call_number"] for row in rows} == {"'-12"}
    assert cells["Plain"]["barcode"] == "6-31"  # starts with a digit: as it is

    _empty_catalogue()
    _out, err = _run("import_catalogue", str(path))
    assert err == ""
    assert _catalogue() == before


def test_an_apostrophe_typed_before_a_formula_in_a_csv_is_dropped_on_import(tmp_path):
    BranchFactory(code="CEN")
    _import_csv(tmp_path, "'=SUM(A1),'-x,,,,,B1,,,book,CEN,")
    record = BibliographicRecord.objects.get()
    assert (record.title, record.authors) == ("=SUM(A1)", "-x")
