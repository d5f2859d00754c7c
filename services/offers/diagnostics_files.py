"""Diagnostics files as an animateur has them: XLSX (openpyxl) or CSV (as French Excel writes it: `;`, Windows-1252
or UTF-8), read into a header line and numbered lines of text; and the template of both kinds, written."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from offers.diagnostics import COLUMN, COLUMNS, EXAMPLES, MAX_ROWS
from shared.nomenclatures import ORGANISATION_KINDS
from shared.units import FREQUENCY_LABELS, UNITS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Lines = list[tuple[int, list[str]]]


class Unreadable(Exception):
    """Not a file we can read: the message says why, in French."""


def read(content: bytes, filename: str) -> tuple[list[str], Lines]:
    """The header line and the non-empty lines (with their number in the file) of an XLSX or CSV file."""
    if not content:
        raise Unreadable("Le fichier est vide.")
    if content[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(content)
    if filename.lower().endswith((".xls", ".ods")):
        raise Unreadable("Format non lu : enregistrez le fichier en .xlsx ou en .csv.")
    return read_csv(content)


def text(value: object) -> str:
    """A cell as the animateur sees it: a date as JJ/MM/AAAA, 40.0 as 40, a SIRET typed as a number in full."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return str(value).replace(".", ",")
    return str(value).strip()


def read_xlsx(content: bytes) -> tuple[list[str], Lines]:
    try:
        return xlsx_lines(content)
    except Unreadable:
        raise
    except Exception as exc:  # whatever a damaged or foreign file breaks in the reader
        raise Unreadable("Ce fichier .xlsx est illisible : enregistrez-le de nouveau depuis le tableur.") from exc


def xlsx_lines(content: bytes) -> tuple[list[str], Lines]:
    from openpyxl import load_workbook  # here, not at the top: openpyxl and numpy cost every offers process 0.25 s

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        lines: Lines = []
        headers: list[str] | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [text(value) for value in values]
            if not any(cells):
                continue
            if headers is None:
                headers = cells
            else:
                lines.append((number, cells))
            if len(lines) > MAX_ROWS:
                break
    finally:
        book.close()
    if headers is None:
        raise Unreadable("La première feuille du fichier est vide.")
    return headers, lines


def read_csv(content: bytes) -> tuple[list[str], Lines]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            decoded = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything; kept for the types
        raise Unreadable("Encodage du fichier illisible : enregistrez-le en CSV UTF-8.")
    if "\x00" in decoded:
        raise Unreadable("Ce fichier n'est ni un .xlsx ni un .csv.")
    first = decoded.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    lines: Lines = []
    headers: list[str] | None = None
    reader = csv.reader(io.StringIO(decoded), delimiter=delimiter)
    try:
        for values in reader:
            cells = [value.strip() for value in values]
            if not any(cells):
                continue
            if headers is None:
                headers = cells
            else:
                lines.append((reader.line_num, cells))
            if len(lines) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise Unreadable(f"CSV illisible à la ligne {reader.line_num} : {exc}.") from exc
    if headers is None:
        raise Unreadable("Le fichier est vide.")
    return headers, lines


def template_csv() -> bytes:
    """The template as French Excel opens it: `;` between cells, UTF-8 with its mark."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in COLUMNS])
    for example in EXAMPLES:
        writer.writerow([example.get(column.key, "") for column in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The template: the columns (each explained in a comment, lists to choose from), the example rows, and a sheet
    « Aide » saying what each column holds."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Diagnostics"
    sheet.append([column.header for column in COLUMNS])
    for example in EXAMPLES:
        sheet.append([example.get(column.key, "") for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1D6B44")
        cell.comment = Comment(("Obligatoire. " if column.required else "") + column.hint, "Boucle")
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(column.header) + 4)
    sheet.freeze_panes = "A2"
    choices = {
        "kind": list(ORGANISATION_KINDS.values()),
        "direction": ["sortant", "entrant", "partage", "mutualisation"],
        "unit": [singular for singular, _ in UNITS.values()],
        "frequency": list(FREQUENCY_LABELS.values()),
        "private": ["oui", "non"],
    }
    for key, values in choices.items():
        letter = get_column_letter(COLUMNS.index(COLUMN[key]) + 1)
        rule = DataValidation(
            type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=False
        )
        rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(rule)
    help_sheet = book.create_sheet("Aide")
    help_sheet.append(["Colonne", "Obligatoire", "Ce qu'elle contient"])
    for column in COLUMNS:
        help_sheet.append([column.header, "oui" if column.required else "non", column.hint])
    help_sheet.append([])
    help_sheet.append(["Une ligne par flux : les colonnes de l'organisation se répètent sur chacune de ses lignes."])
    help_sheet.append(["Importer de nouveau le fichier, corrigé ou complété, met à jour sans rien dupliquer."])
    for letter, width in (("A", 26), ("B", 12), ("C", 80)):
        help_sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
