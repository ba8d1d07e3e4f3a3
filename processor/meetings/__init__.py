"""What a person or a flow does to a Meetings site: hosts, links, calendars, bookings, refunds.

Plain functions over a WixClient (and the store where they must remember something), used alike by
the CLI, the web pages and the flows.
"""
