"""Projects and lots: registration, publishing against the rules, lifecycle, portal."""
