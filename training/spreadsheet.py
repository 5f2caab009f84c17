"""CSV files that open safely in a spreadsheet.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before
one) is run as a formula by Excel, LibreOffice and Google Sheets: a trainee's name, e-mail
address or note could then fetch a URL or start a program on the computer of whoever opens the
export. Such text is written after a single quote, which spreadsheets read as "text follows".
Numbers stay numbers, negative ones included.
"""
import csv
import io
from numbers import Number

# Where a spreadsheet reads ";" as the cell separator, a value starting with it begins a new cell.
FORMULA_STARTS = ("=", "+", "-", "@", ";", "\t", "\r")


def safe_cell(value):
    """``value`` as a spreadsheet will show it and never run it (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, Number) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows, bom=False):
    """``rows`` as CSV text, every cell quoted (so no separator inside a value splits it) and made
    safe; ``bom``: begin with a byte-order mark, for spreadsheets that would not read UTF-8 otherwise."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" if bom else "") + out.getvalue()


def spreadsheet_text(raw):
    """The text of a CSV file as spreadsheets save it: UTF-8 (with or without a byte-order mark), or
    else the Windows encoding Excel uses for "CSV", whose accents then read right."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")
