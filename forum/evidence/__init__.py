"""The sealed record as evidence: the transcript export and its check, and what
reviewers read of it (the record view, their verdicts, the year's report)."""
