"""English date formats with the time zone's name on every date and time (the admin lists
times of restaurants in many zones: "1 Dec 2026, 15:54 UTC", never a bare "3:54 p.m.")."""

DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
