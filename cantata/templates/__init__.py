"""Files `cantata new` writes: the run-script template and example components (package data)."""
