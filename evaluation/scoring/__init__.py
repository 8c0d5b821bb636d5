"""Remote independent scoring (评标室): the expert\x27s workspace and the committee\x27s result."""
