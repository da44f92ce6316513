"""Portal pages of the publishing engine: the composer (composer.py), the posts list and a post's
page (history.py), the calendar (calendar.py)."""
