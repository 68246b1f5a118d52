"""The anonymous surveys of :class:`bot.storage.memory.MemoryStore`: the same semantics as the
SQLite tables (``surveys``, ``survey_counts``, ``survey_voters``), in dictionaries."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.ports import CloseSurvey, OpenSurvey, SurveyCount, SurveyRecord, SurveyVote


@dataclass(slots=True)
class SurveyTables:
    """Registered surveys, counts by (survey, question, answer), keyed hashes by survey."""

    surveys: dict[str, SurveyRecord] = field(default_factory=dict)
    counts: dict[tuple[str, int, int], int] = field(default_factory=dict)
    voters: dict[str, set[bytes]] = field(default_factory=dict)

    def copy(self) -> SurveyTables:
        """A copy to roll back to."""
        return SurveyTables(
            dict(self.surveys), dict(self.counts), {k: set(v) for k, v in self.voters.items()}
        )

    def apply(self, write: OpenSurvey | CloseSurvey | SurveyVote) -> None:
        """Carry out one survey write."""
        match write:
            case OpenSurvey(survey_id, survey, at):
                if survey_id in self.surveys:
                    raise ValueError(f"survey {survey_id} exists")
                self.surveys[survey_id] = SurveyRecord(survey_id, survey, at)
            case CloseSurvey(survey_id, at):
                found = self.surveys.get(survey_id)
                if found is not None and found.open:
                    self.surveys[survey_id] = replace(found, closed_at=at)
                self.voters.pop(survey_id, None)
            case SurveyVote(survey_id, voter, question, answer):
                found = self.surveys.get(survey_id)
                if found is None or not found.open:
                    return
                self.voters.setdefault(survey_id, set()).add(voter)
                key = (survey_id, question, answer)
                self.counts[key] = self.counts.get(key, 0) + 1


class MemorySurveyReads:
    """The survey reads over :class:`SurveyTables`."""

    def _survey_tables(self) -> SurveyTables:
        raise NotImplementedError

    async def survey(self, survey_id: str) -> SurveyRecord | None:
        return self._survey_tables().surveys.get(survey_id)

    async def surveys(self) -> list[SurveyRecord]:
        return sorted(self._survey_tables().surveys.values(), key=lambda r: (r.opened_at, r.id))

    async def survey_voted(self, survey_id: str, voter: bytes) -> bool:
        return voter in self._survey_tables().voters.get(survey_id, set())

    async def survey_counts(self, survey_id: str) -> list[SurveyCount]:
        found = self._survey_tables().counts.items()
        return [SurveyCount(q, a, c) for (s, q, a), c in sorted(found) if s == survey_id]

    async def survey_voters(self, survey_id: str) -> int:
        return len(self._survey_tables().voters.get(survey_id, set()))
