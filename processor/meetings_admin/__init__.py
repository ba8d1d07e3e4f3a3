"""Operating a Meetings site: hosts, links, calendars and bookings as plain functions over a WixClient."""
