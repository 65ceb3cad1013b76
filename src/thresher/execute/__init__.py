"""The execute stage."""
