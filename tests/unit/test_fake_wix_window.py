"""The fake Wix's per-site counter of the busiest 60-second window, from request timestamps."""

from processor.devtools.fake_wix_sites import SiteTraffic


def _busiest(*timestamps: float) -> int:
    traffic = SiteTraffic()
    for moment in timestamps:
        traffic.hit(moment)
    return traffic.max_in_window


def test_requests_within_one_minute_share_a_window():
    assert _busiest(0.0, 10.0, 59.9) == 3


def test_a_request_exactly_60_s_later_starts_a_new_window():
    assert _busiest(0.0, 30.0, 60.0) == 2


def test_the_window_slides_instead_of_resetting_each_minute():
    # 5 at the end of one calendar minute and 5 at the start of the next: 10 within 2 seconds.
    late = [58.0 + i * 0.2 for i in range(5)]
    early = [60.0 + i * 0.2 for i in range(5)]

    assert _busiest(*late, *early, 200.0) == 10


def test_every_request_is_counted_while_only_the_last_minute_is_kept():
    traffic = SiteTraffic()

    for second in range(1000):
        traffic.hit(float(second))

    assert traffic.requests == 1000
    assert traffic.max_in_window == 60
    assert len(traffic._recent) == 60
