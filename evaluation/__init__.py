"""Evaluation: methods (one module each), offline recomputation, the award flow."""
