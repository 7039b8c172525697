"""What init's profile of a data file says of each column (counts, numbers, separators, the few distinct answers):
read by the drafting (draft/data.py) and the respondent id search (draft/respondent.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Column:
    """What the profile says of one column of the file (cells trimmed, '' empty)."""

    position: int
    name: str  # as in the file's header
    filled: int = 0
    distinct: int = 0  # approximate (HyperLogLog)
    longest: int = 0
    numbers: int = 0
    wholes: int = 0
    decimals: int = 0
    minimum: str = ""  # the smallest and largest number, as written
    maximum: str = ""
    control: bool = False  # some cell holds a control character
    separated: dict[str, int] = field(default_factory=dict)  # separator -> cells holding it
    values: list[str] | None = None  # the distinct answers, when few enough to be options
    text: dict[str, str] | None = None  # the question text from the file's variable label (SAS), else TODO

    @property
    def sql(self) -> str:
        return f"c{self.position}"  # the scratch table's names: the file's own never enter a query

    @property
    def numeric(self) -> bool:
        return self.filled > 0 and self.numbers == self.filled
