"""Flows: the steps that cross apps, one explicit call after another (never signals).

A flow sits above the domain apps it calls and below the pages, API, commands and demo that
start it. `ingest` is the one ingestion pipeline every door calls; `uploads` and `stream` are the
file and stream doors that feed it."""
