"""The opening hall (开标大厅): live events, the record, bidders' responses."""
