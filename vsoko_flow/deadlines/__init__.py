"""Deadlines: Russian working days and, later, deadline phrases of school plans."""
