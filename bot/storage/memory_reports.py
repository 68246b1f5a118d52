"""The Übergriff reports of :class:`bot.storage.memory.MemoryStore`: the same semantics as the
SQLite table ``reports`` (migration 8), in a dictionary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.ports import AddReport, ClearReport, DropReport, OutboxRow, ReportRecord, UnlinkReport


@dataclass(slots=True)
class ReportTables:
    """Reports by code."""

    reports: dict[str, ReportRecord] = field(default_factory=dict)

    def copy(self) -> ReportTables:
        """A copy to roll back to."""
        return ReportTables(dict(self.reports))

    def apply(
        self,
        write: AddReport | ClearReport | DropReport | UnlinkReport,
        outbox: dict[int, tuple[OutboxRow, int]],
    ) -> None:
        """Carry out one report write (a drop also drops the report's waiting notices)."""
        match write:
            case AddReport(report):
                if report.code in self.reports:
                    raise ValueError(f"report {report.code} exists")
                self.reports[report.code] = report
            case ClearReport(code):
                found = self.reports.get(code)
                if found is not None:
                    self.reports[code] = replace(found, answers=())
            case DropReport(code):
                self.drop(code, outbox)
            case UnlinkReport(code, key):
                found = self.reports.get(code)
                if found is not None:
                    self.reports[code] = replace(found, user_key=key, user_route=None)

    def drop(self, code: str, outbox: dict[int, tuple[OutboxRow, int]]) -> bool:
        """Delete one report and its notices; whether it existed."""
        if self.reports.pop(code, None) is None:
            return False
        for row_id in [i for i, (row, _) in outbox.items() if row.code == code]:
            if outbox[row_id][0].kind.startswith("report"):
                del outbox[row_id]
        return True

    def drop_contact(self, contact_id: int) -> None:
        """A removed contact takes its reports along (as the foreign key's cascade)."""
        for code in [c for c, r in self.reports.items() if r.contact_id == contact_id]:
            del self.reports[code]

    def purge(self, now: int, outbox: dict[int, tuple[OutboxRow, int]]) -> int:
        """Delete reports past their expiry; how many went."""
        gone = [code for code, r in self.reports.items() if r.expires_at < now]
        return sum(self.drop(code, outbox) for code in gone)
