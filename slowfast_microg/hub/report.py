"""A list of problems found in a data folder, grouped for printing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: its group (what was checked), message and severity."""

    group: str
    message: str
    severity: str = ERROR


@dataclass
class Report:
    """Everything a verification found.

    Attributes:
        root: the folder checked.
        problems: every finding, in the order found.
        counts: what was checked (name -> number), for the summary line.
    """

    root: Path
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, group: str, message: str, *, severity: str = ERROR) -> None:
        """Record a finding."""
        self.problems.append(Problem(group=group, message=message, severity=severity))

    def count(self, name: str, number: int = 1) -> None:
        """Add ``number`` to the checked-items counter ``name``."""
        self.counts[name] = self.counts.get(name, 0) + number

    @property
    def errors(self) -> list[Problem]:
        """The findings that make the folder unusable as it is."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """Findings worth knowing that do not stop training or testing."""
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def format(self, *, limit: int = 20) -> str:
        """Render the report: a summary, then errors and warnings grouped by what was checked.

        Args:
            limit: findings shown per group (0 shows all); the rest are counted.
        """
        checked = ", ".join(f"{number} {name}" for name, number in self.counts.items())
        lines = [f"Checked {self.root}: {checked or 'nothing'}."]
        for title, problems in (("ERRORS", self.errors), ("WARNINGS", self.warnings)):
            if not problems:
                continue
            lines.append(f"{title} ({len(problems)}):")
            groups: dict[str, list[Problem]] = {}
            for problem in problems:
                groups.setdefault(problem.group, []).append(problem)
            for group, members in groups.items():
                lines.append(f"  {group} ({len(members)}):")
                shown = members if limit <= 0 else members[:limit]
                lines += [f"    - {p.message}" for p in shown]
                if len(members) > len(shown):
                    lines.append(
                        f"    ... and {len(members) - len(shown)} more (--limit 0 lists all)"
                    )
        if self.ok:
            lines.append("OK: no errors." if self.warnings else "OK: no problems found.")
        else:
            lines.append(f"FAILED: {len(self.errors)} error(s).")
        return "\n".join(lines)
