"""The surveys' pages, in three rooms: `answer` (respondents, no sign-in), `office` (building
and running surveys) and `results` (figures, comments, the live event)."""
