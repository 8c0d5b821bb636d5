"""The center workspace: a center's dashboard, its lots, the lot desk and the project forms."""
