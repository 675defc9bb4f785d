"""Use cases: what the CLI and the web do, as plain functions over a Runtime."""
