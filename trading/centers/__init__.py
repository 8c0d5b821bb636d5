"""Trading centers as a tree of divisions: configuration, scopes, pages."""
