"""SPSS data files (.sav, and .zsav compressed): read with pyreadstat; init drafts from their labels."""

from __future__ import annotations

import struct
from pathlib import Path

from surveypress.formats.base import Format
from surveypress.formats.readstat import ReadStat

KIND = "an SPSS {extension} file"
READSTAT = ReadStat("read_sav", KIND, "SPSS or Stata")
FORMAT = Format(
    name="SPSS",
    extensions=(".sav", ".zsav"),
    kind=KIND,
    read=READSTAT.table,
    confidential=True,
    labels=READSTAT.labels,
    variables=lambda path: sav_variables(path),  # defined below
)

# The file header (SPSS's system file format): 176 bytes, its layout code (2 or 3) at byte 64 telling the byte order.
HEADER_BYTES = 176
LAYOUT_AT = 64


def sav_variables(path: Path) -> int | None:
    """How many variables a .sav/.zsav file declares, read from its dictionary without pyreadstat, whose reading of
    the dictionary grows with the square of the variables (3 s at 20,000): its variable records (type 2; a long
    string's continuation records, of type -1, are not variables), less the extra segments of each very long string
    (PSPP's description of the format: record 7, subtype 14). None when the dictionary is not one this reads."""
    with path.open("rb") as handle:
        header = handle.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES or header[:4] not in (b"$FL2", b"$FL3"):
            return None
        order = next((o for o in "<>" if struct.unpack_from(f"{o}i", header, LAYOUT_AT)[0] in (2, 3)), None)
        if order is None:
            return None
        number = struct.Struct(f"{order}i")
        record, count = struct.Struct(f"{order}6i8s"), 0  # type 2, width, label?, missing values, formats, name
        while len(chunk := handle.read(record.size)) == record.size:
            kind, width, labelled, missing = record.unpack_from(chunk)[:4]
            if kind != 2:
                handle.seek(-record.size, 1)
                break  # the variable records come first, one after another
            count += width != -1
            length = number.unpack(handle.read(4).ljust(4, b"\xff"))[0] if labelled == 1 else 0
            if length < 0:
                return None  # cut off, or not a dictionary: pyreadstat says what is wrong
            handle.seek((length + 3) // 4 * 4 + abs(missing) * 8, 1)
        return _less_segments(handle, order, count)


def _less_segments(handle, order: str, count: int) -> int | None:
    """`count` less the segments past the first of every very long string, from the records after the variables'."""
    number = struct.Struct(f"{order}i")

    def size() -> int:  # a count or length, -1 when the file ends or holds a negative one
        word = handle.read(4)
        return max(number.unpack(word)[0], -1) if len(word) == 4 else -1

    while (kind := size()) != -1:
        if kind == 999:
            return count
        if kind == 3:  # value labels: a value of 8 bytes, a length byte and the label, padded to 8
            for _ in range(size()):
                handle.seek(8, 1)
                if not (length := handle.read(1)):
                    return None
                handle.seek((length[0] + 8) // 8 * 8 - 1, 1)
        elif kind == 4 and (items := size()) >= 0:  # the variables those labels are for
            handle.seek(items * 4, 1)
        elif kind == 6 and (items := size()) >= 0:  # document lines of 80 bytes
            handle.seek(items * 80, 1)
        elif kind == 7 and min(subtype := size(), width := size(), items := size()) >= 0:
            if subtype != 14:
                handle.seek(width * items, 1)
                continue
            data = handle.read(min(width * items, 1 << 26))
            for entry in data.replace(b"\0", b"").split(b"\t"):  # NAME=width of each very long string
                text = entry.partition(b"=")[2].strip()
                count -= (int(text) + 251) // 252 - 1 if text.isdigit() else 0
        else:
            return None
    return None
