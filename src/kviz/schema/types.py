"""The building blocks of the schema: categories, vocabularies, columns, table specs and located problems."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One allowed value of a categorical column."""

    code: str
    label: str
    colour: str = "#999999"
    symbol: str = "circle"
    description: str = ""
    family: str = ""
    slug: str = ""  # file-name token where the code alone would be unclear
    short: str = ""  # compact label for filter chips and URLs where the full label is long


@dataclass(frozen=True)
class Vocabulary:
    """The ordered set of allowed values of one categorical column."""

    column: str
    title: str
    categories: tuple[Category, ...]

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.categories]

    @property
    def labels(self) -> dict[str, str]:
        return {c.code: c.label for c in self.categories}

    @property
    def colours(self) -> dict[str, str]:
        return {c.code: c.colour for c in self.categories}

    @property
    def symbols(self) -> dict[str, str]:
        return {c.code: c.symbol for c in self.categories}

    def label(self, code: str) -> str:
        """Human label of a code; unknown codes are returned unchanged so nothing is hidden."""
        return self.labels.get(code, code)

    def short_label(self, code: str) -> str:
        """Compact label for filter chips and URLs (the full label when no short one is set)."""
        category = next((c for c in self.categories if c.code == code), None)
        return (category.short or category.label) if category else code

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __getitem__(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)


NUMBER_KINDS = ("int", "float", "signed")


@dataclass(frozen=True)
class Column:
    """One column of findings.csv: its kind decides how the loader parses and checks it."""

    name: str
    kind: str  # id | text | category | date | int | float (not negative) | signed (any number) | doi | url
    label: str
    description: str
    required: bool = False  # a value must be present in every row
    in_every_file: bool = True  # False: added later, so a file without the column loads with it empty

    @property
    def is_number(self) -> bool:
        return self.kind in NUMBER_KINDS


@dataclass(frozen=True)
class TableSpec:
    """What the loader checks a CSV against: its columns, the vocabularies of its categorical columns, the key."""

    name: str
    columns: tuple[Column, ...]
    vocabularies: dict[str, Vocabulary]
    key: str  # the column whose values must be unique
    reserved: tuple[str, ...] = ()  # names the loader adds itself

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.in_every_file)

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as a spreadsheet shows it (header is row 1)."""

    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    allowed: str = ""

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file,
                f"row {self.row}" if self.row is not None else "",
                f"column '{self.column}'" if self.column else "",
            )
            if part
        )
        text = f"{where}: {self.message}" if where else self.message
        if self.value:
            text += f" (value: {self.value!r})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text
