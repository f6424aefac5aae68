"""Catalogue records in and out: MARC 21 (binary and MARCXML) and CSV (docs/catalogue.md).

Only the catalogue travels: bibliographic records and their copies with the
fields a cataloguer keeps. No patron, loan, hold or fine is read or written,
and no copy's circulation state (on loan, in transit, on the hold shelf, since
when): that changes with every check-out, and beside the date of an export it
would hint at who had the copy (CONF-9). Withdrawn copies are left out of an
export because they are no longer part of the collection; every other copy is
exported without its status and comes back on the shelf of its home branch.

Reading: `read_records` turns a file into a stream of `IncomingRecord` (one
title with its copies) and `BadRecord` (where in the file, and why it cannot
be read). Writing: `catalogue_import` stores each incoming record with its
copies in a transaction of its own, so a bad record never half-writes.
"""

import csv
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import pymarc
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q

from circulation.catalogue import InvalidIsbn, normalise_isbn
from circulation.models import BibliographicRecord, Item, ItemType
from library.exports import csv_cell, csv_uncell
from library.models import Branch

logger = logging.getLogger(__name__)


class Format(StrEnum):
    MARC = "marc"  # MARC 21 transmission format (ISO 2709), .mrc
    MARCXML = "marcxml"  # MARC 21 in XML (MARC21/slim), .xml
    CSV = "csv"  # one row per copy, header CSV_HEADER, UTF-8


EXTENSIONS = {
    ".mrc": Format.MARC,
    ".marc": Format.MARC,
    ".xml": Format.MARCXML,
    ".marcxml": Format.MARCXML,
    ".csv": Format.CSV,
}

# The CSV header, in this order on export; on import every column must be there
# (in any order) and no other.
CSV_HEADER = (
    "title",
    "authors",
    "isbn",
    "issn",
    "publisher",
    "publication_year",
    "barcode",
    "call_number",
    "shelving_location",
    "item_type",
    "branch",
    "replacement_cost",
)
COPY_COLUMNS = CSV_HEADER[6:]

# Errors about a whole file: the command stops with one line.
FILE_MISSING = "No such file: {path}"
FILE_NOT_A_FILE = "Not a file: {path}"
FILE_UNREADABLE = "Cannot read {path}: {reason}"
FILE_EXISTS = "{path} exists already; give --overwrite to replace it."
FILE_UNWRITABLE = "Cannot write {path}: {reason}"
FORMAT_UNKNOWN = (
    "Cannot tell the format of {path} from its name (.mrc, .xml or .csv); "
    "give --format marc, marcxml or csv."
)
CSV_COLUMNS_MISSING = "The CSV header lacks the column(s) {columns}; see docs/catalogue.md."
CSV_COLUMNS_UNKNOWN = "The CSV header has unknown column(s) {columns}; see docs/catalogue.md."
CSV_COLUMNS_REPEATED = "The CSV header repeats the column(s) {columns}; see docs/catalogue.md."
NOT_UTF8 = "{path} is not UTF-8 text (near line {line}); save it as UTF-8 and run again."
NOT_MARC = "{path} is not a MARC 21 file: {reason}"
NOT_MARCXML = "{path} is not MARCXML: {reason}"

# Why one record is not imported (reported with its line or record number).
MISSING_TITLE = "missing title"
BAD_ISBN = "bad ISBN {value!r} (wrong length, letters or check digit)"
BAD_ISSN = "bad ISSN {value!r} (expected NNNN-NNNX with a valid check digit)"
BAD_YEAR = "bad publication year {value!r} (expected a year such as 2019)"
TOO_LONG = "{name} longer than {limit} characters"
MISSING_BARCODE = "a copy without a barcode"
REPEATED_BARCODE = "barcode {value!r} appears twice for this title"
DUPLICATE_BARCODE = "duplicate barcode {value!r}: it is already a copy of another title"
UNKNOWN_BRANCH = "unknown branch code {value!r}"
UNKNOWN_ITEM_TYPE = "unknown item type {value!r} (one of {choices})"
BAD_COST = "bad replacement cost {value!r} (expected an amount such as 24.99)"
UNREADABLE_RECORD = "unreadable MARC record ({reason})"
UNREADABLE_REST = "unreadable MARC record ({reason}); the rest of the file was not read"
BAD_LEADER_LENGTH = "the leader gives the record length {value!r}"
EXTRA_CELLS = "{found} cells, more than the header's {expected}"
CONTROL_CHARACTER = "control character in {name}"
LINE_BREAK = "line break in {name} (an unterminated quote in the file?)"
UNREADABLE_VALUE = "a value that cannot be read ({error})"
STORED_MEANWHILE = "a barcode of this record was stored by another run meanwhile; run again"

SUMMARY = (
    "imported {records} records, {copies} copies; "
    "skipped {duplicates} duplicates; {bad} bad records"
)

ISSN_FORM = re.compile(r"^(\d{4})-?(\d{3}[\dX])$")
YEAR_IN_TEXT = re.compile(r"\d{4}")
# ISBD punctuation that ends a MARC subfield before the next one (" /", " :", ";", ",").
ISBD_END = re.compile(r"\s*[/:;=,]\s*$")
MAX_YEAR = 32767  # a PositiveSmallIntegerField
# A year: ASCII digits only (str.isdigit would take "²" or other scripts' digits).
YEAR_FORM = re.compile(r"[0-9]{1,5}")
# A cost: ASCII digits, at most two decimals, below MAX_COST (a dollar sign may lead).
COST_FORM = re.compile(r"\$?[0-9]{1,12}(\.[0-9]{1,2})?")
MAX_COST = Decimal("1000000")
# Characters no imported field may hold: C0 controls (tab and line breaks too:
# every field is one line), DEL, C1 controls, and what XML 1.0 cannot carry.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What XML 1.0 cannot hold (and MARC uses as delimiters); replaced on export.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class CatalogueFileError(Exception):
    """The file as a whole cannot be read or written; the message is one line."""


@dataclass
class IncomingCopy:
    """One copy as the file gives it: text, not yet checked."""

    barcode: str = ""
    call_number: str = ""
    shelving_location: str = ""
    item_type: str = ""
    branch: str = ""  # the home branch's code
    replacement_cost: str = ""


@dataclass
class IncomingRecord:
    """One title with its copies as the file gives it; `where` is "line 4" or "record 2"."""

    where: str
    title: str = ""
    authors: str = ""
    isbn: str = ""
    issn: str = ""
    publisher: str = ""
    publication_year: str = ""
    copies: list[IncomingCopy] = field(default_factory=list)


@dataclass(frozen=True)
class BadRecord:
    """A record that was not imported: where it is in the file and why, in one line."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class ImportReport:
    """Counts of one import run; `duplicates` counts copies (or copy-less titles) already held."""

    records: int = 0
    copies: int = 0
    duplicates: int = 0
    bad: int = 0

    def __str__(self) -> str:
        return SUMMARY.format(**self.__dict__)


# Reading files.


def format_of(path: str, given: str | None = None) -> Format:
    """Return the format named by `given`, else the one the file's extension implies.

    Raises CatalogueFileError(FORMAT_UNKNOWN) when neither says.
    """
    if given:
        return Format(given)
    found = EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise CatalogueFileError(FORMAT_UNKNOWN.format(path=path))
    return found


def check_readable(path: str) -> None:
    """Raise CatalogueFileError unless `path` names a regular file this process may read."""
    try:
        target = Path(path)
        if not path or not target.exists():
            raise CatalogueFileError(FILE_MISSING.format(path=path))
        if not target.is_file():
            raise CatalogueFileError(FILE_NOT_A_FILE.format(path=path))
        with target.open("rb") as stream:
            stream.read(1)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CatalogueFileError(FILE_UNREADABLE.format(path=path, reason=reason)) from None


def read_records(path: str, fmt: Format) -> Iterator[IncomingRecord | BadRecord]:
    """Return an iterator over the file's records, read one at a time (never all in memory).

    Raises CatalogueFileError when the file is not of the format at all (a CSV
    header without the documented columns, a first MARC record without a
    leader, XML that does not parse, text that is not UTF-8).
    """
    check_readable(path)  # now, not at the first record: before any database work
    if fmt == Format.CSV:
        return _read_csv(path)
    if fmt == Format.MARC:
        return _read_marc(path)
    return _read_marcxml(path)


def _read_csv(path: str) -> Iterator[IncomingRecord | BadRecord]:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        try:
            header = [name.strip() for name in reader.fieldnames or []]
            repeated = [name for name in dict.fromkeys(header) if header.count(name) > 1]
            if repeated:
                raise CatalogueFileError(CSV_COLUMNS_REPEATED.format(columns=", ".join(repeated)))
            missing = [name for name in CSV_HEADER if name not in header]
            if missing:
                raise CatalogueFileError(CSV_COLUMNS_MISSING.format(columns=", ".join(missing)))
            unknown = [name for name in header if name not in CSV_HEADER]
            if unknown:
                raise CatalogueFileError(CSV_COLUMNS_UNKNOWN.format(columns=", ".join(unknown)))
            reader.fieldnames = header
            line = reader.line_num + 1
            for row in reader:
                extra = row.get(None)
                if extra:
                    found = len(header) + len(extra)
                    yield BadRecord(
                        f"line {line}", EXTRA_CELLS.format(found=found, expected=len(header))
                    )
                    line = reader.line_num + 1
                    continue
                values = {name: csv_uncell(row.get(name) or "").strip() for name in CSV_HEADER}
                record = IncomingRecord(
                    where=f"line {line}",
                    title=values["title"],
                    authors=values["authors"],
                    isbn=values["isbn"],
                    issn=values["issn"],
                    publisher=values["publisher"],
                    publication_year=values["publication_year"],
                )
                if any(values[name] for name in COPY_COLUMNS):
                    record.copies.append(IncomingCopy(**{n: values[n] for n in COPY_COLUMNS}))
                yield record
                line = reader.line_num + 1
        except UnicodeDecodeError:
            raise CatalogueFileError(NOT_UTF8.format(path=path, line=reader.line_num + 1)) from None
        except csv.Error as error:
            raise CatalogueFileError(
                FILE_UNREADABLE.format(path=path, reason=f"line {reader.line_num}: {error}")
            ) from None


def _read_marc(path: str) -> Iterator[IncomingRecord | BadRecord]:
    with open(path, "rb") as stream:
        reader = pymarc.MARCReader(
            stream, to_unicode=True, permissive=True, utf8_handling="replace"
        )
        number = 0
        while True:
            number += 1
            where = f"record {number}"
            try:
                record = next(reader)
            except StopIteration:
                return
            except (ValueError, ArithmeticError, pymarc.PymarcException) as error:
                # The reader cannot find where the next record starts: stop here.
                reason = _one_line(error)
                if number == 1:
                    raise CatalogueFileError(NOT_MARC.format(path=path, reason=reason)) from None
                yield BadRecord(where, UNREADABLE_REST.format(reason=reason))
                return
            if record is None:
                reason = _one_line(reader.current_exception or "unknown error")
                if number == 1:
                    raise CatalogueFileError(NOT_MARC.format(path=path, reason=reason))
                yield BadRecord(where, UNREADABLE_RECORD.format(reason=reason))
                continue
            length = str(record.leader)[:5]
            if not (YEAR_FORM.fullmatch(length) and int(length) > 24):
                # A length of 0 or below makes the reader take the rest of the
                # file as this one record: nothing after it can be trusted.
                reason = BAD_LEADER_LENGTH.format(value=length)
                if number == 1:
                    raise CatalogueFileError(NOT_MARC.format(path=path, reason=reason))
                yield BadRecord(where, UNREADABLE_REST.format(reason=reason))
                return
            yield _mapped(record, where)


def _one_line(error: object) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


def _mapped(record: pymarc.Record, where: str) -> IncomingRecord | BadRecord:
    try:
        return from_marc(record, where)
    except (ValueError, ArithmeticError) as error:
        return BadRecord(where, UNREADABLE_RECORD.format(reason=type(error).__name__))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_marcxml(path: str) -> Iterator[IncomingRecord | BadRecord]:
    # Python's expat fetches no external entity and caps entity expansion
    # (expat 2.4+), so a hostile file cannot read local files or blow up memory.
    number = 0
    try:
        for _, element in ET.iterparse(path, events=("end",)):  # noqa: S314
            if _local(element.tag) != "record":
                continue
            number += 1
            where = f"record {number}"
            try:
                marc = _marc_from_xml(element)
            except (ValueError, ArithmeticError) as error:
                yield BadRecord(where, UNREADABLE_RECORD.format(reason=type(error).__name__))
            else:
                yield _mapped(marc, where)
            element.clear()
    except ET.ParseError as error:
        raise CatalogueFileError(
            NOT_MARCXML.format(path=path, reason=str(error).splitlines()[0])
        ) from None


def _marc_from_xml(element: ET.Element) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    for child in element:
        name = _local(child.tag)
        if name == "leader" and child.text and len(child.text) == 24:
            record.leader = pymarc.Leader(child.text)
        elif name == "controlfield":
            record.add_field(pymarc.Field(tag=child.get("tag", ""), data=child.text or ""))
        elif name == "datafield":
            subfields = [
                pymarc.Subfield(code=sub.get("code", ""), value=sub.text or "")
                for sub in child
                if _local(sub.tag) == "subfield"
            ]
            record.add_field(
                pymarc.Field(
                    tag=child.get("tag", ""),
                    indicators=pymarc.Indicators(child.get("ind1", " "), child.get("ind2", " ")),
                    subfields=subfields,
                )
            )
    return record


def _first(record: pymarc.Record, tags: tuple[str, ...], code: str) -> str:
    for marc_field in record.get_fields(*tags):
        for value in marc_field.get_subfields(code):
            if value.strip():
                return ISBD_END.sub("", value.strip())
    return ""


def _sub(marc_field: pymarc.Field, code: str) -> str:
    values = marc_field.get_subfields(code)
    return values[0].strip() if values else ""


def from_marc(record: pymarc.Record, where: str) -> IncomingRecord:
    """Map a MARC 21 record to an incoming record (the mapping is in docs/catalogue.md)."""
    title_field = next(iter(record.get_fields("245")), None)
    title = ""
    if title_field is not None:
        parts = [ISBD_END.sub("", _sub(title_field, code)) for code in ("a", "b")]
        title = " : ".join(part for part in parts if part)
    authors = [
        ISBD_END.sub("", value.strip())
        for marc_field in record.get_fields("100", "700")
        for value in marc_field.get_subfields("a")
        if value.strip()
    ]
    isbn = _first(record, ("020",), "a").split(" ")[0].split("(")[0]
    year_text = _first(record, ("264", "260"), "c")
    year = YEAR_IN_TEXT.search(year_text)
    incoming = IncomingRecord(
        where=where,
        title=title,
        authors="; ".join(authors),
        isbn=isbn,
        issn=_first(record, ("022",), "a").split(" ")[0],
        publisher=_first(record, ("264", "260"), "b"),
        publication_year=year.group() if year else year_text,
    )
    for holding in record.get_fields("952"):
        incoming.copies.append(
            IncomingCopy(
                barcode=_sub(holding, "p"),
                call_number=_sub(holding, "o"),
                shelving_location=_sub(holding, "c"),
                item_type=_sub(holding, "y"),
                branch=_sub(holding, "a"),
                replacement_cost=_sub(holding, "v"),
            )
        )
    return incoming


# Checking and storing.


class _Bad(Exception):
    """One record's reason for not being imported."""


def _issn(text: str) -> str:
    match = ISSN_FORM.match(text.upper())
    if not match:
        raise _Bad(BAD_ISSN.format(value=text))
    digits = match[1] + match[2]
    total = sum((8 - i) * int(d) for i, d in enumerate(digits[:7]))
    check = (11 - total % 11) % 11
    if digits[7] != ("X" if check == 10 else str(check)):
        raise _Bad(BAD_ISSN.format(value=text))
    return f"{match[1]}-{match[2]}"


def _limit(name: str, value: str, model: Any, field_name: str | None = None) -> str:
    limit = model._meta.get_field(field_name or name).max_length
    if len(value) > limit:
        raise _Bad(TOO_LONG.format(name=name.replace("_", " "), limit=limit))
    return value


def _check_characters(incoming: IncomingRecord) -> None:
    """Raise _Bad if any field holds a control character (a line break included)."""
    values = [(name, getattr(incoming, name)) for name in CSV_HEADER[:6]]
    values += [(name, getattr(copy, name)) for copy in incoming.copies for name in COPY_COLUMNS]
    for name, value in values:
        found = CONTROL.search(value)
        if found is not None:
            shown = name.replace("_", " ")
            reason = LINE_BREAK if found.group() in "\n\r" else CONTROL_CHARACTER
            raise _Bad(reason.format(name=shown))


def _record_fields(incoming: IncomingRecord) -> dict[str, Any]:
    if not incoming.title:
        raise _Bad(MISSING_TITLE)
    isbn = ""
    if incoming.isbn:
        try:
            isbn = normalise_isbn(incoming.isbn)
        except InvalidIsbn:
            raise _Bad(BAD_ISBN.format(value=incoming.isbn)) from None
    year: int | None = None
    if incoming.publication_year:
        text = incoming.publication_year
        if not YEAR_FORM.fullmatch(text) or not 0 < int(text) <= MAX_YEAR:
            raise _Bad(BAD_YEAR.format(value=text))
        year = int(text)
    model = BibliographicRecord
    return {
        "title": _limit("title", incoming.title, model),
        "authors": _limit("authors", incoming.authors, model),
        "isbn": isbn,
        "issn": _issn(incoming.issn) if incoming.issn else "",
        "publisher": _limit("publisher", incoming.publisher, model),
        "publication_year": year,
    }


ITEM_TYPES = {choice.value: choice.value for choice in ItemType}


def _copy_fields(copy: IncomingCopy, branches: dict[str, Branch]) -> dict[str, Any]:
    if not copy.barcode:
        raise _Bad(MISSING_BARCODE)
    item_type = ITEM_TYPES.get(copy.item_type.lower() or ItemType.BOOK.value)
    if item_type is None:
        choices = ", ".join(ITEM_TYPES)
        raise _Bad(UNKNOWN_ITEM_TYPE.format(value=copy.item_type, choices=choices))
    branch = branches.get(copy.branch.upper())
    if branch is None:
        raise _Bad(UNKNOWN_BRANCH.format(value=copy.branch))
    cost: Decimal | None = None
    if copy.replacement_cost:
        # The form first: Decimal() takes "1e999999" or 30 digits, which then
        # fail to quantize or to fit the column.
        if not COST_FORM.fullmatch(copy.replacement_cost):
            raise _Bad(BAD_COST.format(value=copy.replacement_cost))
        cost = Decimal(copy.replacement_cost.lstrip("$"))
        if not Decimal("0.01") <= cost < MAX_COST:
            raise _Bad(BAD_COST.format(value=copy.replacement_cost))
    return {
        "barcode": _limit("barcode", copy.barcode, Item),
        "call_number": _limit("call_number", copy.call_number, Item),
        "shelving_location": _limit("shelving_location", copy.shelving_location, Item),
        "item_type": item_type,
        "branch": branch,
        "current_branch": branch,
        "replacement_cost": cost,
    }


def _existing_record(fields: dict[str, Any]) -> BibliographicRecord | None:
    """Return the catalogue's record for this title: by ISBN, else by title and authors."""
    if fields["isbn"]:
        query = Q(isbn=fields["isbn"])
    else:
        query = Q(isbn="", title=fields["title"], authors=fields["authors"])
    return BibliographicRecord.objects.filter(query).order_by("pk").first()


def _validation_reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name.replace('_', ' ')}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def _store(incoming: IncomingRecord, branches: dict[str, Branch], report: ImportReport) -> None:
    """Store one record and its new copies, or raise _Bad and store nothing."""
    _check_characters(incoming)
    fields = _record_fields(incoming)
    copies = [_copy_fields(copy, branches) for copy in incoming.copies]
    barcodes = [copy["barcode"] for copy in copies]
    repeated = next((code for code in barcodes if barcodes.count(code) > 1), None)
    if repeated is not None:
        raise _Bad(REPEATED_BARCODE.format(value=repeated))
    record = _existing_record(fields)
    held = dict(Item.objects.filter(barcode__in=barcodes).values_list("barcode", "record_id"))
    for barcode, record_id in held.items():
        if record is None or record_id != record.pk:
            raise _Bad(DUPLICATE_BARCODE.format(value=barcode))
    new_copies = [copy for copy in copies if copy["barcode"] not in held]
    duplicates = len(held) if copies else int(record is not None)
    if record is None:
        record = BibliographicRecord(**fields)
        record.full_clean()
        record.save()
        report.records += 1
    for copy in new_copies:
        item = Item(record=record, **copy)
        # Uniqueness was checked above for the whole record at once; the
        # database constraint is the backstop against a concurrent import.
        item.full_clean(validate_unique=False, validate_constraints=False)
        item.save()
    report.copies += len(new_copies)
    report.duplicates += duplicates


def catalogue_import(
    *,
    records: Iterable[IncomingRecord | BadRecord],
    dry_run: bool = False,
    on_bad: Callable[[BadRecord], None] = lambda bad: None,
    progress: Callable[[], None] = lambda: None,
) -> ImportReport:
    """Import records with their copies, each in a transaction of its own; return the counts.

    A record matches the catalogue's by ISBN (else by title and authors when
    it has no ISBN); a copy whose barcode the matching record already holds is
    skipped as a duplicate, so importing a file twice adds nothing. A record
    that cannot be imported whole is reported to `on_bad` and nothing of it is
    stored. With `dry_run`, everything is checked and counted and rolled back.
    """
    report = ImportReport()
    branches = {branch.code.upper(): branch for branch in Branch.objects.all()}
    # A dry run is one transaction rolled back at the end; a real run commits
    # record by record, so what is good is kept even if the file breaks off later.
    with transaction.atomic() if dry_run else nullcontext():
        for incoming in records:
            progress()
            if isinstance(incoming, BadRecord):
                report.bad += 1
                on_bad(incoming)
                continue
            counts = ImportReport(**report.__dict__)
            try:
                with transaction.atomic():
                    _store(incoming, branches, counts)
            except _Bad as error:
                bad = BadRecord(incoming.where, str(error))
            except ValidationError as error:
                bad = BadRecord(incoming.where, _validation_reason(error))
            except IntegrityError:
                # Another import stored one of these barcodes after the check above.
                bad = BadRecord(incoming.where, STORED_MEANWHILE)
            except (ValueError, ArithmeticError) as error:
                # A value no check above foresaw (a number too long to convert,
                # a decimal out of range): this record is bad, the run goes on.
                # Other exceptions (TypeError, KeyError …) are bugs and surface.
                logger.warning(
                    "Catalogue import: %s not imported (%s)", incoming.where, type(error).__name__
                )
                bad = BadRecord(incoming.where, UNREADABLE_VALUE.format(error=type(error).__name__))
            else:
                report = counts
                continue
            report.bad += 1
            on_bad(bad)
        if dry_run:
            transaction.set_rollback(True)
    return report


# Writing files.

EXPORT_CHUNK = 2000


def exported_records() -> Iterator[BibliographicRecord]:
    """Yield every record with its exported copies (all but withdrawn), in chunks, by id."""
    copies = (
        Item.objects.exclude(status=Item.Status.WITHDRAWN)
        .select_related("branch")
        .order_by("barcode")
    )
    return (
        BibliographicRecord.objects.order_by("pk")
        .prefetch_related(Prefetch("items", queryset=copies, to_attr="exported_copies"))
        .iterator(chunk_size=EXPORT_CHUNK)
    )


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def csv_rows(record: BibliographicRecord) -> list[list[str]]:
    """Return a record's CSV rows: one per copy, or one without copy columns if it has none."""
    head = [
        record.title,
        record.authors,
        record.isbn,
        record.issn,
        record.publisher,
        "" if record.publication_year is None else str(record.publication_year),
    ]
    copies: list[Item] = getattr(record, "exported_copies", [])
    if not copies:
        return [[csv_cell(value) for value in head + [""] * len(COPY_COLUMNS)]]
    return [
        [
            csv_cell(value)
            for value in (
                *head,
                item.barcode,
                item.call_number,
                item.shelving_location,
                item.item_type,
                item.branch.code,
                _money(item.replacement_cost),
            )
        ]
        for item in copies
    ]


def to_marc(record: BibliographicRecord) -> pymarc.Record:
    """Return a record and its exported copies as MARC 21 (the mapping is in docs/catalogue.md)."""
    # Leader: new record, language material (06 a), monograph (07 m), UTF-8 (09 a).
    marc = pymarc.Record(force_utf8=True, leader="     nam a22     1i 4500")

    def add(tag: str, indicators: tuple[str, str], **values: str) -> None:
        subfields = [
            pymarc.Subfield(code=code, value=_xml_safe(value)) for code, value in values.items()
        ]
        marc.add_field(
            pymarc.Field(tag=tag, indicators=pymarc.Indicators(*indicators), subfields=subfields)
        )

    if record.isbn:
        add("020", (" ", " "), a=record.isbn)
    if record.issn:
        add("022", (" ", " "), a=record.issn)
    authors = [name.strip() for name in record.authors.split(";") if name.strip()]
    if authors:
        add("100", ("1", " "), a=authors[0])
    add("245", ("1" if authors else "0", "0"), a=record.title)
    published = {"b": record.publisher} if record.publisher else {}
    if record.publication_year is not None:
        published["c"] = str(record.publication_year)
    if published:
        add("264", (" ", "1"), **published)
    for name in authors[1:]:
        add("700", ("1", " "), a=name)
    for item in getattr(record, "exported_copies", []):
        holding = {
            "a": item.branch.code,
            "c": item.shelving_location,
            "o": item.call_number,
            "p": item.barcode,
            "v": _money(item.replacement_cost),
            "y": item.item_type,
        }
        add("952", (" ", " "), **{code: value for code, value in holding.items() if value})
    return marc


def _xml_safe(text: str) -> str:
    """Return text with what XML 1.0 cannot hold (and MARC's delimiters) as U+FFFD.

    Import refuses such characters, but a record edited elsewhere may hold one;
    written raw it would make the MARCXML ill-formed and split a MARC field.
    """
    return NOT_XML.sub("\ufffd", text)


@dataclass
class ExportReport:
    records: int = 0
    copies: int = 0

    def __str__(self) -> str:
        return f"exported {self.records} records, {self.copies} copies"


def catalogue_export(
    *, stream: IO[bytes], fmt: Format, progress: Callable[[], None] = lambda: None
) -> ExportReport:
    """Write every record with its copies (withdrawn ones left out) to a binary stream.

    Streams: records are read in chunks of EXPORT_CHUNK and written as they
    come, so the catalogue's size does not decide the memory used. No patron
    data and no circulation status is written (see the module docstring).
    """
    report = ExportReport()
    if fmt == Format.CSV:
        text = _TextOut(stream)
        writer = csv.writer(text)
        writer.writerow(CSV_HEADER)
        for record in exported_records():
            writer.writerows(csv_rows(record))
            report.records += 1
            report.copies += len(getattr(record, "exported_copies", []))
            progress()
        return report
    marc_writer: pymarc.Writer = (
        pymarc.MARCWriter(stream) if fmt == Format.MARC else pymarc.XMLWriter(stream)
    )
    for record in exported_records():
        marc_writer.write(to_marc(record))
        report.records += 1
        report.copies += len(getattr(record, "exported_copies", []))
        progress()
    if fmt == Format.MARCXML:
        marc_writer.close(close_fh=False)
    return report


class _TextOut:
    """A text sink over a binary stream, for csv.writer (UTF-8)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(text.encode("utf-8"))
        return len(text)
