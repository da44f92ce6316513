"""Deploy checks of our own (RELIABILITY D5)."""
