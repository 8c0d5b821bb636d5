"""The evaluation report (评标报告): built when the chair finalises, signed by each member."""
