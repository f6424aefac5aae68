"""Importing and exporting the catalogue (issue 17): round trips, bad records, re-runs."""

import csv
import io
from decimal import Decimal
from pathlib import Path

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
    import pymarc

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
