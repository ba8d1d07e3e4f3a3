"""A site whose connection listing our store cannot take: for tests that one such site stops no other."""

from __future__ import annotations

from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_scale import SeededSite

# Over calendar_connections.connection_id's 500 characters (Wix's ids are about 100): PostgreSQL
# refuses the row with a DataError, a failure that is the store's, not Wix's. (An errorReason over
# its column served here until the watcher learned to cut those to fit.)
UNSTORABLE_CONNECTION_ID = "R09PR0xF" * 70


def poison(fake_wix: FakeWix, site: SeededSite) -> None:
    """Give the site's first host a second calendar connection whose id the store cannot hold."""
    fake_wix.site(site.instance_id).add_connection(
        site.hosts[0].schedule_id, connection_id=UNSTORABLE_CONNECTION_ID
    )
