"""The session's one event log: its catalogue of event types and its store."""
