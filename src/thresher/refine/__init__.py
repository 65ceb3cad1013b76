"""The refine stage."""
