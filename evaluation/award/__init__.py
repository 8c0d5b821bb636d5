"""From an opened lot to an award: rank, candidates publicity, award."""
