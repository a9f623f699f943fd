"""Small shared utilities: argument parsing, logging setup, file I/O helpers."""
