"""Every CSV the portal hands to a person goes through here: as an attachment,
never rendered, and with cells a spreadsheet would run as formulas defused."""

import csv
import io

from django.http import HttpResponse

from imports.schedule.check import neutralise_cell


def neutralise_csv(data: bytes) -> bytes:
    text = data.decode("utf-8-sig", errors="replace")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for cells in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([neutralise_cell(cell) for cell in cells])
    return out.getvalue().encode("utf-8")


def csv_attachment(data: bytes, file_name: str, *, neutralise: bool = False) -> HttpResponse:
    response = HttpResponse(neutralise_csv(data) if neutralise else data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
