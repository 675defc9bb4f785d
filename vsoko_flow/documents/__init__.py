"""Official documents: Russian formatting, template catalogue and sandboxed docxtpl rendering."""
