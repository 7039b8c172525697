"""Errors raised for bad input: one message that names file, row, column and value, and what was expected."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with an input file that the person running the build must fix.

    `row` is the line number as a spreadsheet or text editor shows it (the header is row 1), or with
    `row_label="case"` the case number as SPSS or Stata shows it (the first respondent is case 1).
    """

    def __init__(
        self,
        file: str | Path,
        expected: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        hint: str = "",
        row_label: str = "row",
    ) -> None:
        self.file = str(file)
        self.row = row
        # SPSS and Stata number respondents as cases (the first is case 1); spreadsheets and CSV as rows.
        self.row_label = row_label
        self.column = column
        self.value = value
        self.expected = expected
        self.hint = hint
        super().__init__(self.message())

    def __str__(self) -> str:
        return self.message()

    def relative_to(self, root: str | Path) -> InputError:
        """Shows `file` relative to `root` (the project) when it lies inside it; returns self."""
        path = Path(self.file)
        if path.is_absolute():
            try:
                # The folder resolved, not the file: a file that is a symlink is named where it is, not its target.
                where = path.parent.resolve() / path.name
                self.file = where.relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                pass
        return self

    def message(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = ", ".join(where)
        if self.value is not None:
            text += f": value {self.value!r}"
        text += f": expected {self.expected}"
        if self.hint:
            text += f". {self.hint}"
        return text


class DisclosureError(InputError):
    """A published file breaks a configured disclosure rule (e.g. k-anonymity below the minimum)."""
